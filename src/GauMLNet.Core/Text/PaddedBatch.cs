namespace GauMLNet.Text;

/// <summary>
/// Encoded sequences padded to the batch's longest: input ids, segment ids and attention mask (1 = real
/// token), each row-major [Rows, Length] int64 — the input every scoring engine takes.
/// </summary>
public sealed class PaddedBatch
{
    private PaddedBatch(int rows, int length, long[] inputIds, long[] tokenTypeIds, long[] attentionMask)
    {
        Rows = rows;
        Length = length;
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
    }

    public int Rows { get; }
    public int Length { get; }
    public long[] InputIds { get; }
    public long[] TokenTypeIds { get; }
    public long[] AttentionMask { get; }

    /// <summary>Pads to the longest row of this batch only (not to MaxLength).</summary>
    public static PaddedBatch Collate(IReadOnlyList<EncodedText> rows, int padId)
    {
        if (rows.Count == 0) throw new ArgumentException("A batch needs at least one row.", nameof(rows));
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
        return new PaddedBatch(rows.Count, width, ids, types, mask);
    }
}
