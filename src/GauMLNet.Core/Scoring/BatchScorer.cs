using GauMLNet.Engines;
using GauMLNet.Text;

namespace GauMLNet.Scoring;

/// <summary>
/// The one place rows become batches for scoring: length-sorted batches (padding per batch), each run by an
/// engine, one output row per input row back in the original order.
/// </summary>
internal static class BatchScorer
{
    public static float[][] Run(IReadOnlyList<EncodedText> rows, int batchSize, int padId, Func<PaddedBatch, EngineOutput> run, out int forwardPasses)
    {
        var results = new float[rows.Count][];
        forwardPasses = 0;
        foreach (var indices in LengthBuckets.ForInference(rows.Select(r => r.Length).ToArray(), batchSize))
        {
            var output = run(PaddedBatch.Collate(indices.Select(i => rows[i]).ToArray(), padId));
            if (output.Rows != indices.Length)
                throw new InvalidOperationException($"The engine returned {output.Rows} rows for a batch of {indices.Length}.");
            forwardPasses++;
            for (int b = 0; b < indices.Length; b++) results[indices[b]] = output.Row(b);
        }
        return results;
    }
}
