using GauMLNet.Configuration;

namespace GauMLNet.Training;

/// <summary>
/// What a fine-tuning run did (across resumes: the curves cover the whole run). <see cref="Precision"/> is the format it
/// trained in: the requested one, or fp32 where bf16 was requested on a device that only emulates it.
/// </summary>
public sealed record FineTuningResult(int EpochsRun, int? BestEpoch, double? BestValidationMetric, IReadOnlyList<double> StepLosses,
    IReadOnlyList<double> ValidationMetrics, double TrainingRowsPerSecond, TrainingPrecision Precision = TrainingPrecision.Float32);
