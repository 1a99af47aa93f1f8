namespace GauMLNet.Experiments;

/// <summary>How a candidate's cross-validation ended.</summary>
public enum CandidateStatus { Completed, StoppedByBudget, Failed, StoppedEarly }

/// <summary>
/// One row of a pipeline selection's leaderboard: accuracy on each held-out fold (every row of the fold counts), their mean
/// and sample standard deviation, the accuracy on the dev split of a fit on the train split (null without one), the
/// seconds all of its fits took, and the size of one fitted model as model.zip.
/// </summary>
public sealed record CandidateScore(string Name, int Cost, string Description, CandidateStatus Status, IReadOnlyList<double> FoldAccuracies,
    double? DevAccuracy, double Seconds, long? ModelBytes, string? Error = null)
{
    public double Mean => FoldAccuracies.Count == 0 ? double.NaN : FoldAccuracies.Average();

    public double StandardDeviation => SampleStandardDeviation(FoldAccuracies);

    /// <summary>The sample standard deviation (n − 1); NaN for fewer than two values.</summary>
    internal static double SampleStandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return double.NaN;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
