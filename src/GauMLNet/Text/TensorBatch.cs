using static TorchSharp.torch;

namespace GauMLNet.Text;

/// <summary>A padded batch on a device: ids, segment ids and the attention mask (1 = real token), each [b, n].</summary>
public sealed class TensorBatch : IDisposable
{
    private TensorBatch(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
    }

    public Tensor InputIds { get; }
    public Tensor TokenTypeIds { get; }
    public Tensor AttentionMask { get; }

    /// <summary>Pads to the longest row of this batch only (not to MaxLength).</summary>
    public static TensorBatch Collate(IReadOnlyList<EncodedText> rows, int padId, Device device)
    {
        int width = rows.Max(r => r.Length);
        var ids = new long[rows.Count * width];
        var types = new long[rows.Count * width];
        var mask = new long[rows.Count * width];
        if (padId != 0) Array.Fill(ids, padId);
        for (int b = 0; b < rows.Count; b++)
        {
            var row = rows[b];
            for (int t = 0; t < row.Length; t++)
            {
                ids[b * width + t] = row.Ids[t];
                types[b * width + t] = row.TypeIds[t];
                mask[b * width + t] = 1;
            }
        }
        long[] shape = [rows.Count, width];
        return new TensorBatch(tensor(ids, shape, ScalarType.Int64, device), tensor(types, shape, ScalarType.Int64, device),
            tensor(mask, shape, ScalarType.Int64, device));
    }

    public void Dispose()
    {
        InputIds.Dispose();
        TokenTypeIds.Dispose();
        AttentionMask.Dispose();
    }
}
