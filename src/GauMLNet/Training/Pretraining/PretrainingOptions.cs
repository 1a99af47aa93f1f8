using GauMLNet.Configuration;

namespace GauMLNet.TorchSharp.Training.Pretraining;

/// <summary>How to run masked-LM pretraining.</summary>
public sealed record PretrainingOptions
{
    public long Steps { get; init; } = 1000;
    /// <summary>Sequences per micro-batch; an optimizer step sees BatchSize × GradientAccumulation sequences.</summary>
    public int BatchSize { get; init; } = 32;
    public int GradientAccumulation { get; init; } = 1;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>(step, multiplier) points, linear in between; default GAU-α's {0: 1, 160k: 0.5, 640k: 0.1, 1.28M: 0.01}, no warmup.</summary>
    public IReadOnlyDictionary<long, double>? Schedule { get; init; }
    public double WeightDecay { get; init; } = 0.01;
    public double MaxGradNorm { get; init; } = 1.0;
    public double MaskRate { get; init; } = 0.15;
    /// <summary>1: whole words chosen one by one (BERT); above 1: runs of up to this many adjacent words (SpanBERT, lengths geometric with p 0.2).</summary>
    public int MaxSpanLength { get; init; } = 1;
    public int Seed { get; init; }
    /// <summary>Save weights, optimizer, schedule position, RNG and data position every this many steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; } = 200;
    public string? CheckpointDirectory { get; init; }
    public bool Resume { get; init; }
    /// <summary>Stop (and checkpoint) when this much time has passed.</summary>
    public TimeSpan? TimeLimit { get; init; }
    /// <summary>fp32, or bf16 mixed precision (fp32 master weights and LAMB state); part of the checkpoint's fingerprint.</summary>
    public TrainingPrecision Precision { get; init; }
    /// <summary>Train in bf16 even where the device only emulates it (there it is slower than fp32).</summary>
    public bool ForcePrecision { get; init; }

    public PretrainingOptions Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "Steps must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (GradientAccumulation < 1) throw new ArgumentOutOfRangeException(nameof(GradientAccumulation), GradientAccumulation, "GradientAccumulation must be at least 1.");
        if (MaxSpanLength < 1) throw new ArgumentOutOfRangeException(nameof(MaxSpanLength), MaxSpanLength, "MaxSpanLength must be at least 1.");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive.");
        if (Resume && CheckpointDirectory is null) throw new ArgumentException("Resume needs a CheckpointDirectory.", nameof(Resume));
        return this;
    }
}

/// <summary>Reported after every optimizer step.</summary>
public sealed record PretrainingProgress(long Step, long Steps, double Loss, double MaskedAccuracy, double TokensPerSecond, TimeSpan Elapsed)
{
    public TimeSpan EstimatedRemaining => Step == 0 ? TimeSpan.Zero : Elapsed * ((double)(Steps - Step) / Step);
}

/// <summary>The curves of a pretraining run (the whole run, across resumes), and the format it trained in.</summary>
public sealed record PretrainingResult(long StepsRun, IReadOnlyList<double> Losses, IReadOnlyList<double> MaskedAccuracies, double TokensPerSecond,
    TrainingPrecision Precision = TrainingPrecision.Float32);
