namespace GauMLNet.Training;

/// <summary>Everything a fine-tuning run reads: the tokenized rows, the options, and where it reports.</summary>
public sealed record FineTuningJob
{
    public required IReadOnlyList<LabeledExample> Train { get; init; }
    public IReadOnlyList<LabeledExample>? Validation { get; init; }
    public required FineTuningOptions Options { get; init; }
    public required int PadId { get; init; }
    public string Device { get; init; } = "auto";
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>Every log line, with how much it matters.</summary>
    public Action<TrainingLogLevel, string>? Log { get; init; }
    public CancellationToken Cancellation { get; init; }
    /// <summary>The validation metric from the validation rows' raw outputs, in row order (higher is better); null: the task's own.</summary>
    public Func<IReadOnlyList<float[]>, double>? ValidationMetric { get; init; }
}
