using GauMLNet.Configuration;

namespace GauMLNet.Training;

/// <summary>What a fine-tuning run needs to know, independent of ML.NET.</summary>
public sealed record FineTuningOptions
{
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 2e-5;
    /// <summary>Fraction of all steps spent warming up linearly (0: none, GAU-α's recipe).</summary>
    public double WarmupFraction { get; init; }
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>
    /// Keep an exponential moving average of the weights with this decay per step (e.g. 0.999), validate it after each
    /// epoch and keep it as the model (null: no average, the weights as trained).
    /// </summary>
    public double? WeightAverageDecay { get; init; }
    /// <summary>Global gradient-norm clip; 0 or less disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public int FrozenLayers { get; init; }
    public int Seed { get; init; }
    /// <summary>Stop after this many epochs without a better validation metric (null: run every epoch).</summary>
    public int? EarlyStoppingPatience { get; init; }
    /// <summary>Save a training checkpoint here after every epoch (null: no checkpoints).</summary>
    public string? CheckpointDirectory { get; init; }
    /// <summary>Continue from the checkpoint in <see cref="CheckpointDirectory"/> when there is one.</summary>
    public bool Resume { get; init; }
    /// <summary>More entries for the checkpoint's fingerprint (e.g. the data files' hashes); a resume must match them too.</summary>
    public IReadOnlyDictionary<string, string>? FingerprintExtras { get; init; }
    /// <summary>Intra-op CPU threads for the engine (0: its default).</summary>
    public int CpuThreads { get; init; }
    /// <summary>fp32, or bf16 mixed precision (fp32 master weights and optimizer state); part of the checkpoint's fingerprint.</summary>
    public TrainingPrecision Precision { get; init; }
    /// <summary>Train in bf16 even where the device only emulates it (there it is slower than fp32).</summary>
    public bool ForcePrecision { get; init; }

    public FineTuningOptions Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive.");
        if (!(WarmupFraction is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(WarmupFraction), WarmupFraction, "WarmupFraction must be in [0, 1).");
        if (WeightAverageDecay is { } d && !(d is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(WeightAverageDecay), WeightAverageDecay, "WeightAverageDecay must be in (0, 1).");
        if (WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must not be negative.");
        if (Resume && CheckpointDirectory is null) throw new ArgumentException("Resume needs a CheckpointDirectory.", nameof(Resume));
        if (EarlyStoppingPatience is < 1) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "EarlyStoppingPatience must be at least 1.");
        return this;
    }
}
