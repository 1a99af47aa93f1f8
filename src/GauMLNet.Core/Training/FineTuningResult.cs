namespace GauMLNet.Training;

/// <summary>What a fine-tuning run did (across resumes: the curves cover the whole run).</summary>
public sealed record FineTuningResult(int EpochsRun, int? BestEpoch, double? BestValidationMetric, IReadOnlyList<double> StepLosses,
    IReadOnlyList<double> ValidationMetrics, double TrainingRowsPerSecond);
