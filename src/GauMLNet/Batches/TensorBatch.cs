using GauMLNet.Text;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Batches;

/// <summary>A <see cref="PaddedBatch"/> on a device: ids, segment ids and the attention mask (1 = real token), each int64 [b, n].</summary>
internal sealed class TensorBatch : IDisposable
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

    public static TensorBatch From(PaddedBatch batch, Device device)
    {
        long[] shape = [batch.Rows, batch.Length];
        return new TensorBatch(tensor(batch.InputIds, shape, ScalarType.Int64, device), tensor(batch.TokenTypeIds, shape, ScalarType.Int64, device),
            tensor(batch.AttentionMask, shape, ScalarType.Int64, device));
    }

    /// <summary>Pads encoded rows to the longest of them.</summary>
    public static TensorBatch Collate(IReadOnlyList<EncodedText> rows, int padId, Device device) => From(PaddedBatch.Collate(rows, padId), device);

    public void Dispose()
    {
        InputIds.Dispose();
        TokenTypeIds.Dispose();
        AttentionMask.Dispose();
    }
}
