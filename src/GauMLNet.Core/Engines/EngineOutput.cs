namespace GauMLNet.Engines;

/// <summary>
/// What an engine returns for a batch: fp32 values, row-major, of shape [rows, …] — [rows, classes] logits,
/// [rows, 1] scores, [rows, d] pooled embeddings, or [rows, length, tags] per-token scores.
/// </summary>
public sealed record EngineOutput(float[] Values, int[] Shape)
{
    public int Rows => Shape[0];

    /// <summary>Values per row (the product of every dimension after the first).</summary>
    public int RowWidth => Shape.Skip(1).Aggregate(1, (a, d) => a * d);

    /// <summary>A copy of one row's values.</summary>
    public float[] Row(int row) => Values.AsSpan(row * RowWidth, RowWidth).ToArray();
}
