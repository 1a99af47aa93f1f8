namespace GauMLNet.Configuration;

/// <summary>Which tokens a GAU's attention relates: all pairs, or FLASH's chunks plus a linear summary.</summary>
public enum AttentionSpan
{
    /// <summary>Every query attends to every key: quadratic in the length (GAU-α).</summary>
    Full,
    /// <summary>
    /// FLASH's mixed-chunk attention (non-causal): quadratic attention inside chunks of chunk_size tokens plus linear
    /// attention over the whole sequence, both from the same z: linear in the length.
    /// </summary>
    MixedChunk,
}
