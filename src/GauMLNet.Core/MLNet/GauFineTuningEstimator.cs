using GauMLNet.Engines;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using GauMLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// Fit for every GAU trainer: read the rows, build or load the encoder, turn the rows into examples, fine-tune, and
/// wrap the result in a transformer. A trainer supplies the hooks — how it reads its rows, what model they describe,
/// how a row becomes training examples (the row-to-example hook), and which transformer it returns. Fit reads the
/// options and never changes them. Building and training the network is the backend's (<see cref="IGauNetworkBuilder"/>).
/// </summary>
public abstract class GauFineTuningEstimator<TTransformer> : IEstimator<TTransformer> where TTransformer : GauTransformerBase
{
    private readonly IHostEnvironment _env;
    private readonly GauTrainerOptionsBase _options;
    private readonly IGauNetworkBuilder _backend;

    private protected GauFineTuningEstimator(IHostEnvironment env, GauTrainerOptionsBase options, IGauNetworkBuilder backend)
    {
        _env = env;
        _options = options with { Device = options.Device ?? MLNetInternals.RequestedDevice(env) }; // a private copy: later changes to the caller's object do not leak in
        _backend = backend;
        GauModelLoaders.Register(env.ComponentCatalog);
    }

    private protected string Component => GetType().Name;

    /// <summary>The options as Fit reads them (the device resolved).</summary>
    private protected GauTrainerOptionsBase Options => _options;

    /// <summary>The rows of one data view as a trainer reads them.</summary>
    private protected abstract class TaskRows
    {
        public abstract int Count { get; }

        /// <summary>Every text of every row, for building a vocabulary when there is no pretrained one.</summary>
        public abstract IEnumerable<string?> Texts { get; }
    }

    /// <summary>Reads and checks the rows of the training or validation data (<paramref name="what"/>).</summary>
    /// <param name="notice">for what a person should see: rows skipped, for instance</param>
    private protected abstract TaskRows ReadRows(IDataView data, string what, Action<string> notice, CancellationToken token);

    /// <summary>Why an empty training set is refused, in the trainer's words.</summary>
    private protected abstract string NoTrainingRows { get; }

    /// <summary>What the model is, from its training rows: task, columns, outputs, labels (the shared settings are added by Fit).</summary>
    private protected abstract GauTaskSpec DescribeModel(TaskRows train);

    /// <summary>The row-to-example hook: the rows tokenized and given their targets.</summary>
    private protected abstract List<LabeledExample> ToExamples(TaskRows rows, GauModelSource source, GauTaskSpec spec, string what, Action<string> notice);

    private protected abstract TTransformer CreateTransformer(IHostEnvironment env, GauTaskModel model);

    /// <summary>The validation metric from the validation examples' raw outputs, in order; null (the default): the task's own.</summary>
    /// <summary>The task's changes to the model it starts from (none by default).</summary>
    private protected virtual GauModelSource AdaptModel(GauModelSource source, Action<string> log) => source;

    private protected virtual Func<IReadOnlyList<float[]>, double>? ValidationMetric(TaskRows validation, GauModelSource source, GauTaskSpec spec) => null;

    public abstract SchemaShape GetOutputSchema(SchemaShape inputSchema);

    public TTransformer Fit(IDataView input)
    {
        var token = _options.CancellationToken;
        using var channel = _env.Start("GauMLNet");
        void Log(TrainingLogLevel level, string message)
        {
            if (level == TrainingLogLevel.Notice) channel.Info(MessageSensitivity.None, message);
            else channel.Trace(MessageSensitivity.None, message);
            if (level >= _options.LogLevel) _options.Log?.Invoke(message);
        }
        void Notice(string message) => Log(TrainingLogLevel.Notice, message);

        var trainRows = ReadRows(input, "training", Notice, token);
        var validationRows = _options.ValidationSet is { } validation ? ReadRows(validation, "validation", Notice, token) : null;
        if (trainRows.Count == 0) throw new InvalidOperationException($"{Component}: {NoTrainingRows}");

        var source = GauModelSource.Resolve(_options.ModelDirectory, _options.Config, _options.VocabPath,
            () => trainRows.Texts, _options.MaxVocabSize, _options.MinTokenFrequency, m => Log(TrainingLogLevel.Detail, $"{Component}: {m}"));
        if (_options.GradientCheckpointing is { } recompute) source = source.WithConfig(c => c with { GradientCheckpointing = recompute });
        source = AdaptModel(source, Notice);
        var config = source.Config;
        var spec = DescribeModel(trainRows) with
        {
            MaxLength = _options.MaxLength,
            BatchSize = _options.BatchSize,
            Device = _options.Device!, // resolved at construction
            InferencePrecision = _options.InferencePrecision,
            ForcePrecision = _options.ForceInferencePrecision,
            Metadata = _options.Metadata,
        };

        var train = ToExamples(trainRows, source, spec, "training", Notice);
        var valid = validationRows is null ? null : ToExamples(validationRows, source, spec, "validation", Notice);
        Log(TrainingLogLevel.Detail, $"{Component}: {trainRows.Count} training rows ({train.Count} examples), {validationRows?.Count ?? 0} validation rows, {config.NumHiddenLayers} GAU layers " +
            $"(d {config.HiddenSize}, e {config.IntermediateSize}, s {config.AttentionKeySize}), vocab {config.VocabSize}, device {_options.Device}; {source.Description}");
        var metric = validationRows is null ? null : ValidationMetric(validationRows, source, spec);
        return GauFitting.Train(_backend, source, spec, _options, train, valid, Log, model => CreateTransformer(_env, model), metric);
    }
}
