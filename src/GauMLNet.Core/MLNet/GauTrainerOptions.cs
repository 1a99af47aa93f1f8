using GauMLNet.Configuration;
using GauMLNet.Training;
using Microsoft.ML;

namespace GauMLNet.MLNet;

/// <summary>
/// Options every GAU trainer shares. Start from a pretrained checkpoint (<see cref="ModelDirectory"/>) or
/// train from scratch (<see cref="Config"/>, default <see cref="GauAlphaConfig.Tiny"/>, with a vocabulary
/// from <see cref="VocabPath"/> or built from the training text). Options are copied when the estimator is
/// created and never changed by Fit.
/// </summary>
public abstract record GauTrainerOptionsBase
{
    /// <summary>A checkpoint directory (config.json + model.safetensors + vocab.txt) to fine-tune.</summary>
    public string? ModelDirectory { get; init; }
    /// <summary>The architecture to train from scratch when no ModelDirectory is given (default Tiny).</summary>
    public GauAlphaConfig? Config { get; init; }
    /// <summary>From scratch: a vocab.txt to use; when null a vocabulary is built from the training text.</summary>
    public string? VocabPath { get; init; }
    public int MaxVocabSize { get; init; } = 8000;
    public int MinTokenFrequency { get; init; } = 1;

    /// <summary>
    /// auto (CUDA when available, else CPU), cpu, cuda, cuda:N, or a comma list tried in order (cuda:0,cpu). Null (the
    /// default): as the MLContext says, like Microsoft.ML.TorchSharp — the CPU unless MLContext.GpuDeviceId names a GPU,
    /// which must then be usable unless MLContext.FallbackToCpu is set.
    /// </summary>
    public string? Device { get; init; }
    /// <summary>libtorch intra-op threads for this process (0 leaves libtorch's default).</summary>
    public int CpuThreads { get; init; }
    /// <summary>
    /// Recompute each GAU layer during backward (activation memory of one layer instead of all, one more
    /// forward pass, same gradients). Null keeps the model's config (off for the presets).
    /// </summary>
    public bool? GradientCheckpointing { get; init; }
    /// <summary>The format the fitted model scores in (independent of <see cref="TrainingPrecision"/>); saved with the model.</summary>
    public InferencePrecision InferencePrecision { get; init; } = InferencePrecision.Float32;
    /// <summary>
    /// Score in <see cref="InferencePrecision"/> even where the device only emulates it. Without it, bf16 on a CPU without
    /// AVX512-BF16 or AMX (where it runs at about half the fp32 speed) scores in fp32 and logs one line saying so. Saved with the model.
    /// </summary>
    public bool ForceInferencePrecision { get; init; }
    /// <summary>
    /// The format training computes in: fp32, or bf16 mixed precision (forward and backward in bf16; fp32 master weights,
    /// optimizer, loss, gradient norm and normalization statistics; the fitted weights are fp32). Where the device only
    /// emulates bf16 (a CPU without AVX512-BF16 or AMX) training logs one line and runs in fp32, unless
    /// <see cref="ForceTrainingPrecision"/>. A resume must use the same precision.
    /// </summary>
    public TrainingPrecision TrainingPrecision { get; init; } = TrainingPrecision.Float32;
    /// <summary>Train in <see cref="TrainingPrecision"/> even where the device only emulates it.</summary>
    public bool ForceTrainingPrecision { get; init; }

    /// <summary>Tokens per row including [CLS]/[SEP]; longer rows are truncated (longest side first) and counted in the log.</summary>
    public int MaxLength { get; init; } = 128;
    public int BatchSize { get; init; } = 32;
    public int Epochs { get; init; } = 3;
    /// <summary>Null picks 2e-5 when fine-tuning a checkpoint and 1e-3 from scratch.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Fraction of steps with linear warmup; 0 (default): GAU-α trains without warmup.</summary>
    public double WarmupFraction { get; init; }
    /// <summary>
    /// Keep an exponential moving average of the weights with this decay per step (e.g. 0.999): validation scores it and
    /// the fitted model is it. Null (default): the weights as trained.
    /// </summary>
    public double? WeightAverageDecay { get; init; }
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Gradient-norm clip; 0 disables.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Freeze the embeddings and this many bottom GAU layers.</summary>
    public int FrozenLayers { get; init; }
    public SequencePooling Pooling { get; init; } = SequencePooling.First;
    /// <summary>Same seed and data give the same model.</summary>
    public int Seed { get; init; }
    /// <summary>Free-form facts saved with the model (gau-task.json "metadata"), e.g. the task it was trained for.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    /// <summary>Also receives Fit's log lines at <see cref="LogLevel"/> or above (every line goes to MLContext.Log too: notices as Info, detail as Trace).</summary>
    public Action<string>? Log { get; init; }
    /// <summary>The least a line must matter to reach <see cref="Log"/>: Detail (every line) or Notice (resumes, truncations, early stopping, the kept epoch, a fallback).</summary>
    public TrainingLogLevel LogLevel { get; init; } = TrainingLogLevel.Detail;

    /// <summary>Scored in full after each epoch; the best epoch's weights are kept.</summary>
    public IDataView? ValidationSet { get; init; }
    /// <summary>With a validation set: stop after this many epochs without improvement.</summary>
    public int? EarlyStoppingPatience { get; init; }
    public IProgress<TrainingProgress>? Progress { get; init; }
    public CancellationToken CancellationToken { get; init; }
    /// <summary>Save a training checkpoint here after every epoch (weights, optimizer, counters).</summary>
    public string? CheckpointDirectory { get; init; }
    /// <summary>Continue from the checkpoint in CheckpointDirectory when there is one; refused, naming the difference, if the
    /// model, the arguments that shape training or the data differ from the run that wrote it.</summary>
    public bool Resume { get; init; }
    /// <summary>More facts a resume must match (e.g. the data files' hashes), added to the checkpoint's fingerprint.</summary>
    public IReadOnlyDictionary<string, string>? FingerprintExtras { get; init; }

    public const string DefaultLabelColumn = "Label";
    public const string DefaultScoreColumn = "Score";
    public const string DefaultPredictedLabelColumn = "PredictedLabel";
}

/// <summary>
/// Options of GauTextClassification: one text column, or a sentence pair ([CLS] a [SEP] b [SEP]) when
/// <see cref="SecondSentenceColumnName"/> is set, and a key-typed label.
/// </summary>
public sealed record GauTextClassificationOptions : GauTrainerOptionsBase
{
    public string LabelColumnName { get; init; } = DefaultLabelColumn;
    public string SentenceColumnName { get; init; } = "Sentence";
    /// <summary>Set to classify sentence pairs (AFQMC, OCNLI, CMNLI, CSL); the simple overload's sentence2ColumnName sets it.</summary>
    public string? SecondSentenceColumnName { get; init; }
    public string ScoreColumnName { get; init; } = DefaultScoreColumn;
    public string PredictedLabelColumnName { get; init; } = DefaultPredictedLabelColumn;
}

/// <summary>Options of GauSentenceSimilarity: two text columns, a float label.</summary>
public sealed record GauSentenceSimilarityOptions : GauTrainerOptionsBase
{
    public string LabelColumnName { get; init; } = DefaultLabelColumn;
    public string Sentence1ColumnName { get; init; } = "Sentence1";
    public string Sentence2ColumnName { get; init; } = "Sentence2";
    public string ScoreColumnName { get; init; } = DefaultScoreColumn;
}

/// <summary>Options of GauTextEmbedding.</summary>
public sealed record GauTextEmbeddingOptions
{
    public string OutputColumnName { get; init; } = "Features";
    public string InputColumnName { get; init; } = "Sentence";
    /// <summary>Set to embed sentence pairs ([CLS] a [SEP] b [SEP]).</summary>
    public string? SecondInputColumnName { get; init; }
    /// <summary>A checkpoint directory; when null a freshly initialized model of <see cref="Config"/> (seeded) is used.</summary>
    public string? ModelDirectory { get; init; }
    public GauAlphaConfig? Config { get; init; }
    /// <summary>Required without ModelDirectory: embeddings need a fixed vocabulary.</summary>
    public string? VocabPath { get; init; }
    /// <summary>As <see cref="GauTrainerOptionsBase.Device"/>: null follows the MLContext (GpuDeviceId, FallbackToCpu).</summary>
    public string? Device { get; init; }
    /// <summary>The format the embeddings are computed in; saved with the model.</summary>
    public InferencePrecision InferencePrecision { get; init; } = InferencePrecision.Float32;
    /// <summary>
    /// Score in <see cref="InferencePrecision"/> even where the device only emulates it. Without it, bf16 on a CPU without
    /// AVX512-BF16 or AMX (where it runs at about half the fp32 speed) scores in fp32 and logs one line saying so. Saved with the model.
    /// </summary>
    public bool ForceInferencePrecision { get; init; }
    public int MaxLength { get; init; } = 128;
    public int BatchSize { get; init; } = 32;
    public SequencePooling Pooling { get; init; } = SequencePooling.Mean;
    public int Seed { get; init; }
}
