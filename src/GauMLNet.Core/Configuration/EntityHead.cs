namespace GauMLNet.Configuration;

/// <summary>How a named-entity model scores spans.</summary>
public enum EntityHead
{
    /// <summary>A linear-chain CRF over BIO tags: trained with the forward algorithm, decoded with Viterbi restricted to valid tag transitions.</summary>
    Crf,
    /// <summary>Per-token softmax over BIO tags, decoded with the same transition-restricted Viterbi so spans are always valid.</summary>
    Softmax,
    /// <summary>
    /// Efficient GlobalPointer (Su Jianlin): every (start, end) pair scored per type from RoPE-rotated start and end
    /// projections; spans with a positive score are entities. Nested and overlapping entities are possible.
    /// </summary>
    GlobalPointer,
}
