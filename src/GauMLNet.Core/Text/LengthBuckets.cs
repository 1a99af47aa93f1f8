namespace GauMLNet.Text;

/// <summary>
/// Orders rows into batches of similar length so per-batch padding stays small. Inference batches are
/// sorted by length (callers scatter results back by index); training batches are buckets of similar
/// length visited in a seeded random order.
/// </summary>
internal static class LengthBuckets
{
    /// <summary>Row indices grouped into batches, shortest first.</summary>
    public static List<int[]> ForInference(IReadOnlyList<int> lengths, int batchSize)
    {
        CheckBatchSize(batchSize);
        var order = Enumerable.Range(0, lengths.Count).OrderBy(i => lengths[i]).ToArray();
        return order.Chunk(batchSize).ToList();
    }

    /// <summary>
    /// Shuffles rows, sorts them by length inside windows of 50 batches, cuts batches, and shuffles the
    /// batch order: random every epoch, yet with little padding.
    /// </summary>
    public static List<int[]> ForTraining(IReadOnlyList<int> lengths, int batchSize, Random random)
    {
        CheckBatchSize(batchSize);
        var shuffled = Enumerable.Range(0, lengths.Count).ToArray();
        random.Shuffle(shuffled);
        var batches = new List<int[]>();
        foreach (var window in shuffled.Chunk(batchSize * 50))
            batches.AddRange(window.OrderBy(i => lengths[i]).Chunk(batchSize));
        var result = batches.ToArray();
        random.Shuffle(result);
        return [.. result];
    }

    private static void CheckBatchSize(int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "BatchSize must be at least 1.");
    }
}
