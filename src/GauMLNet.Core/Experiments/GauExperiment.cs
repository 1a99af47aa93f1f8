using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Training;
using Microsoft.ML;

namespace GauMLNet.Experiments;

/// <summary>The metric a GAU experiment maximises (losses and errors are negated so higher is always better).</summary>
public enum ExperimentMetric { MicroAccuracy, MacroAccuracy, NegativeLogLoss, RSquared, NegativeRootMeanSquaredError }

/// <summary>What the pipeline factory must wire into the GAU estimator of each trial.</summary>
/// <param name="Progress">per-epoch validation metrics flow back through it (median-rule pruning)</param>
/// <param name="Cancellation">fires when the budget runs out or the trial is pruned</param>
/// <param name="ValidationSet">the holdout, scored in full after every epoch</param>
public sealed record GauTrialPlumbing(IProgress<TrainingProgress> Progress, CancellationToken Cancellation, IDataView? ValidationSet)
{
    /// <summary>The trial's hyperparameters and this plumbing applied to a classifier's options.</summary>
    public GauTextClassificationOptions Apply(TrialParameters p, GauTextClassificationOptions options)
    {
        // A swept model size replaces the width and depth, not the attention the options chose.
        var config = options.ModelDirectory is null && p.Has(TrialParameters.ModelSize)
            ? GauAlphaConfig.FromPreset(p.Text(TrialParameters.ModelSize)) with { Attention = options.Config?.Attention, ChunkSize = options.Config?.ChunkSize }
            : options.Config;
        if (config is not null && p.Has(TrialParameters.Dropout))
            config = config with { HiddenDropoutProb = p.Double(TrialParameters.Dropout), AttentionProbsDropoutProb = p.Double(TrialParameters.Dropout) };
        return options with
        {
            Config = config,
            LearningRate = p.Has(TrialParameters.LearningRate) ? p.Double(TrialParameters.LearningRate) : options.LearningRate,
            Epochs = p.Has(TrialParameters.Epochs) ? p.Int(TrialParameters.Epochs) : options.Epochs,
            BatchSize = p.Has(TrialParameters.BatchSize) ? p.Int(TrialParameters.BatchSize) : options.BatchSize,
            MaxLength = p.Has(TrialParameters.MaxLength) ? p.Int(TrialParameters.MaxLength) : options.MaxLength,
            FrozenLayers = p.Has(TrialParameters.FrozenLayers) ? p.Int(TrialParameters.FrozenLayers) : options.FrozenLayers,
            Pooling = p.Has(TrialParameters.Pooling) ? Enum.Parse<SequencePooling>(p.Text(TrialParameters.Pooling)) : options.Pooling,
            ValidationSet = ValidationSet,
            Progress = Progress,
            CancellationToken = Cancellation,
        };
    }
}

/// <summary>
/// An AutoML-style experiment over GAU-α hyperparameters and whole pipelines, in the spirit of AutoMLExperiment: a
/// search space, a pipeline factory that turns a trial's parameters into any ML.NET estimator chain (with a GAU
/// estimator in it or, for a <see cref="TrialParameters.Pipeline"/> choice, without), a tuner, a time budget and trial
/// cap, holdout or cross-validation, and the metric to optimise. The best model is kept (and saved), every finished
/// trial is logged, and a rerun resumes.
/// </summary>
public sealed class GauExperiment(MLContext ml, SearchSpace space, Func<TrialParameters, GauTrialPlumbing, IEstimator<ITransformer>> pipelineFactory)
{
    public const string BestModelFile = "best-model.zip";

    public ITuner Tuner { get; init; } = new TreeParzenTuner();
    public ExperimentSettings Settings { get; init; } = new();
    public ExperimentMetric Metric { get; init; } = ExperimentMetric.MicroAccuracy;
    public string LabelColumnName { get; init; } = "Label";
    /// <summary>0 uses the holdout passed to Run; 2 or more cross-validates on the training data instead.</summary>
    public int CrossValidationFolds { get; init; }
    /// <summary>Where best-model.zip goes (null: keep the best model in memory only).</summary>
    public string? OutputDirectory { get; init; }

    public event Action<TrialResult, IReadOnlyList<TrialResult>>? TrialFinished;

    public ITransformer? BestModel { get; private set; }

    /// <summary>Runs the search; returns the leaderboard, best first.</summary>
    public IReadOnlyList<TrialResult> Run(IDataView train, IDataView? holdout, CancellationToken cancellation = default)
    {
        if (CrossValidationFolds == 0 && holdout is null) throw new ArgumentException("Give a holdout set or set CrossValidationFolds ≥ 2.", nameof(holdout));
        double? bestMetric = null;
        string? bestPath = OutputDirectory is null ? null : Path.Combine(OutputDirectory, BestModelFile);
        var runner = new ExperimentRunner(space, Tuner, Settings);
        runner.TrialFinished += (result, history) =>
        {
            TrialFinished?.Invoke(result, history);
        };
        var history = runner.Run(context =>
        {
            using var trialCancel = CancellationTokenSource.CreateLinkedTokenSource(context.Cancellation);
            double lastEpochMetric = double.NaN;
            var progress = new EpochReporter(p =>
            {
                if (p.ValidationMetric is not { } m) return;
                lastEpochMetric = m;
                if (context.ReportEpoch(p.Epoch, m)) trialCancel.Cancel(); // below the median at this epoch: stop early
            });
            var plumbing = new GauTrialPlumbing(progress, trialCancel.Token, CrossValidationFolds >= 2 ? null : holdout);
            try
            {
                var (metric, model) = FitAndScore(pipelineFactory(context.Parameters, plumbing), train, holdout);
                if (bestMetric is null || metric > bestMetric)
                {
                    bestMetric = metric;
                    BestModel = model;
                    if (bestPath is not null) AtomicFile.Write(bestPath, s => ml.Model.Save(model, train.Schema, s));
                }
                return metric;
            }
            catch (OperationCanceledException) when (trialCancel.IsCancellationRequested && !context.Cancellation.IsCancellationRequested)
            {
                return lastEpochMetric; // pruned: its last validation score stands for it
            }
        }, cancellation);
        if (BestModel is null && bestPath is not null && File.Exists(bestPath))
            BestModel = ml.Model.LoadGauModel(bestPath, out _); // the best trial ran before a resume
        return Leaderboard(history);
    }

    public static IReadOnlyList<TrialResult> Leaderboard(IEnumerable<TrialResult> history) =>
        history.OrderByDescending(h => h.Metric ?? double.NegativeInfinity).ThenBy(h => h.Id).ToList();

    private (double Metric, ITransformer Model) FitAndScore(IEstimator<ITransformer> pipeline, IDataView train, IDataView? holdout)
    {
        if (CrossValidationFolds >= 2)
        {
            bool regression = Metric is ExperimentMetric.RSquared or ExperimentMetric.NegativeRootMeanSquaredError;
            if (regression)
            {
                var folds = ml.Regression.CrossValidate(train, pipeline, CrossValidationFolds, LabelColumnName);
                return (folds.Average(f => Regression(f.Metrics)), folds.OrderByDescending(f => Regression(f.Metrics)).First().Model);
            }
            var classFolds = ml.MulticlassClassification.CrossValidate(train, pipeline, CrossValidationFolds, LabelColumnName);
            return (classFolds.Average(f => Classification(f.Metrics)), classFolds.OrderByDescending(f => Classification(f.Metrics)).First().Model);
        }
        var model = pipeline.Fit(train);
        var scored = model.Transform(holdout!);
        double metric = Metric is ExperimentMetric.RSquared or ExperimentMetric.NegativeRootMeanSquaredError
            ? Regression(ml.Regression.Evaluate(scored, LabelColumnName))
            : Classification(ml.MulticlassClassification.Evaluate(scored, LabelColumnName));
        return (metric, model);
    }

    private double Classification(Microsoft.ML.Data.MulticlassClassificationMetrics m) => Metric switch
    {
        ExperimentMetric.MacroAccuracy => m.MacroAccuracy,
        ExperimentMetric.NegativeLogLoss => -m.LogLoss,
        _ => m.MicroAccuracy,
    };

    private double Regression(Microsoft.ML.Data.RegressionMetrics m) =>
        Metric == ExperimentMetric.NegativeRootMeanSquaredError ? -m.RootMeanSquaredError : m.RSquared;

    private sealed class EpochReporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
