using GauMLNet.Engines;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using GauMLNet.Training;

namespace GauMLNet.MLNet;

/// <summary>What every GAU trainer's Fit shares once its rows are read: the backend's options and the fitted model.</summary>
internal static class GauFitting
{
    /// <summary>The fine-tuning options of trainer options: what every GAU trainer's Fit hands its training backend.</summary>
    internal static FineTuningOptions FineTuningOptionsOf(GauTrainerOptionsBase options) => new()
    {
        Epochs = options.Epochs,
        BatchSize = options.BatchSize,
        LearningRate = LearningRateOf(options),
        WarmupFraction = options.WarmupFraction,
        WeightAverageDecay = options.WeightAverageDecay,
        WeightDecay = options.WeightDecay,
        MaxGradNorm = options.MaxGradNorm,
        FrozenLayers = options.FrozenLayers,
        Seed = options.Seed,
        EarlyStoppingPatience = options.EarlyStoppingPatience,
        CheckpointDirectory = options.CheckpointDirectory,
        Resume = options.Resume,
        CpuThreads = options.CpuThreads,
        FingerprintExtras = options.FingerprintExtras,
        Precision = options.TrainingPrecision,
        ForcePrecision = options.ForceTrainingPrecision,
    };

    /// <summary>The options' learning rate, or the default: 2e-5 for a checkpoint (released base-size weights), 1e-3 from scratch.</summary>
    internal static double LearningRateOf(GauTrainerOptionsBase options) => options.LearningRate ?? (options.ModelDirectory is null ? 1e-3 : 2e-5);

    /// <summary>A trained network as a fitted model: its files, and the network itself as the engine (no copy).</summary>
    internal static GauTaskModel Fitted(IGauTrainableNetwork network, GauTaskSpec spec, GauModelSource source)
    {
        var package = GauModelPackage.Create(spec, source.Config, source.VocabText, network.SaveWeights());
        return new GauTaskModel(package, network.ToEngine(EngineOptions.For(spec)));
    }

    /// <summary>
    /// Builds the network, fine-tunes it and wraps it in a transformer made by <paramref name="transformer"/>. On divergence
    /// the thrown <see cref="GauTrainingDivergedException"/> carries the last good weights as a transformer too.
    /// </summary>
    internal static TTransformer Train<TTransformer>(IGauNetworkBuilder backend, GauModelSource source, GauTaskSpec spec, GauTrainerOptionsBase options,
        IReadOnlyList<LabeledExample> train, IReadOnlyList<LabeledExample>? validation, Action<TrainingLogLevel, string> log, Func<GauTaskModel, TTransformer> transformer,
        Func<IReadOnlyList<float[]>, double>? validationMetric = null)
        where TTransformer : GauTransformerBase
    {
        var network = backend.Build(source, spec, options.Seed);
        var job = new FineTuningJob
        {
            Train = train,
            Validation = validation,
            Options = FineTuningOptionsOf(options),
            PadId = source.Tokenizer.PadId,
            Device = options.Device!, // the estimator resolved it at construction
            Progress = options.Progress,
            Log = log,
            Cancellation = options.CancellationToken,
            ValidationMetric = validationMetric,
        };
        FineTuningResult result;
        try
        {
            result = network.FineTune(job);
        }
        catch (GauTrainingDivergedException ex) when (ex.LastGoodModel is null)
        {
            ex.LastGoodModel = transformer(Fitted(network, spec, source));
            throw;
        }
        catch
        {
            network.Dispose();
            throw;
        }
        var fitted = transformer(Fitted(network, spec, source));
        fitted.TrainingResult = result;
        return fitted;
    }
}
