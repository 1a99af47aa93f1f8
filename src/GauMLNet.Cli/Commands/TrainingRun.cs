using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Cli.Terminal;
using GauMLNet.Clue;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Training;
using GauMLNet.Training;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>What `gau train` and `gau quickstart` share: fit a CLUE task and write model.zip, metrics.json and the curve.</summary>
internal static class TrainingRun
{
    public const string ModelFile = "model.zip";
    public const string LastGoodModelFile = "last-good-model.zip";
    public const string MetricsFile = "metrics.json";
    public const string CurveFile = "training-curve.png";
    public const string CheckpointFolder = "checkpoints";

    public sealed record Settings(string TaskName, string DataDirectory, string OutputDirectory, string? ModelDirectory, string ConfigName,
        int Epochs, int BatchSize, int MaxLength, double? LearningRate, string Device, int Threads, int Seed, bool Resume, bool SkipBadLines, int? Patience,
        string Precision = "fp32", bool GradientCheckpointing = false, double MaxGradNorm = 1.0, string? Encoding = null,
        string TrainingPrecision = "fp32", bool ForcePrecision = false, string? Attention = null, int? ChunkSize = null,
        SequencePooling? Pooling = null, double WarmupFraction = 0, double? WeightAverageDecay = null);

    /// <summary>What the checks of a training command's arguments settle, before any data is read.</summary>
    public sealed record Checked(GauAlphaConfig? Config, InferencePrecision Precision, System.Text.Encoding Encoding, string Checkpoints,
        TrainingPrecision TrainingPrecision);

    /// <summary>Checks every argument of a training run (each failure names the argument) and clears a killed run's leftovers.</summary>
    public static Checked CheckArguments(Settings s, int minimumMaxLength)
    {
        Arguments.AtLeast("--epochs", s.Epochs, 1);
        Arguments.AtLeast("--batch-size", s.BatchSize, 1);
        Arguments.AtLeast("--max-length", s.MaxLength, minimumMaxLength);
        if (s.LearningRate is { } lr) Arguments.Positive("--learning-rate", lr);
        Arguments.NotNegative("--max-grad-norm", s.MaxGradNorm);
        if (!(s.WarmupFraction is >= 0 and < 1)) throw new UsageException($"--warmup must be a fraction of the steps in [0, 1), got {s.WarmupFraction}.");
        if (s.WeightAverageDecay is { } decay && !(decay is > 0 and < 1)) throw new UsageException($"--weight-average must be a decay per step in (0, 1), got {decay}.");
        Arguments.AtLeast("--threads", s.Threads, 0);
        if (s.Patience is { } patience) Arguments.AtLeast("--patience", patience, 1);
        Arguments.Device(s.Device);
        var precision = Arguments.Precision("--inference-precision", s.Precision);
        var trainingPrecision = Arguments.TrainingPrecision(s.TrainingPrecision);
        var encoding = Arguments.Encoding(s.Encoding);
        if (!DataFileOptions.IsDataFile(s.DataDirectory)) Arguments.ExistingDirectory("--data", s.DataDirectory);
        GauAlphaConfig? config = null;
        Arguments.AttentionFromScratchOnly(s.ModelDirectory, s.Attention, s.ChunkSize);
        if (s.ModelDirectory is { } pretrained) Arguments.ExistingDirectory("--model", pretrained);
        else config = Arguments.Attention(Arguments.Config(s.ConfigName), s.Attention, s.ChunkSize);
        string checkpoints = Path.Combine(s.OutputDirectory, CheckpointFolder);
        if (s.Resume && !TrainingCheckpoint.Exists(checkpoints))
            throw new UsageException($"--resume: there is no checkpoint in {checkpoints} to resume from; run without --resume to start training.");
        AtomicFile.RemoveLeftovers(s.OutputDirectory); // temporary files of a run that was killed while writing
        return new Checked(config, precision, encoding, checkpoints, trainingPrecision);
    }

    public static int Run(Settings s, TextWriter output)
    {
        var task = ClueTask.Get(s.TaskName);
        var @checked = CheckArguments(s, task.IsPair ? 4 : 3);
        var (encoding, checkpoints) = (@checked.Encoding, @checked.Checkpoints);

        var ml = new MLContext(seed: s.Seed);
        var progress = ConsoleProgressBar.For(output);
        string trainPath = ClueDataFolder.Require(s.DataDirectory, ClueDataFolder.Split.Train);
        string? devPath = ClueDataFolder.Find(s.DataDirectory, ClueDataFolder.Split.Dev);
        var train = CluePipeline.Load(ml, trainPath, task, requireLabels: true, s.SkipBadLines, progress.Line, encoding);
        var dev = devPath is null ? null : CluePipeline.Load(ml, devPath, task, requireLabels: true, s.SkipBadLines, progress.Line, encoding);
        output.WriteLine($"{task.Name}: {train.GetRowCount()} training rows, {dev?.GetRowCount() ?? 0} dev rows; " +
                         (s.ModelDirectory is null ? $"training a {s.ConfigName} GAU-α from scratch" : $"fine-tuning {s.ModelDirectory}"));

        using var stop = new StopSignals();
        var options = Configure(new GauTextClassificationOptions(), s, @checked, progress, stop, trainPath, devPath);
        return FitAndReport(s, @checked, ml, train.Schema, stop, progress, output, options.LearningRate, () =>
        {
            var model = CluePipeline.Fit(ml, task, train, dev, options, o => ml.MulticlassClassification.Trainers.GauTextClassification(o));
            return new Fitted(model, model.OfType<GauTextClassificationTransformer>().Single().TrainingResult!);
        }, model =>
        {
            if (dev is null) return Dev.None;
            var metrics = CluePipeline.Evaluate(task, model, dev, progress.Line);
            return new Dev(metrics, $"dev accuracy {metrics.Accuracy:P2} over {metrics.Rows} rows (macro {metrics.MacroAccuracy:P2})");
        }, fitted => new()
        {
            ["task"] = task.Name,
            ["training_rows_per_second"] = Math.Round(fitted.Result.TrainingRowsPerSecond, 1),
            ["dev_accuracy_per_epoch"] = fitted.Result.ValidationMetrics,
        }, new Curve($"GAU-α on {task.Name}", "accuracy", "rows"));
    }

    /// <summary>What a task's Fit hands back: the model to save and its training.</summary>
    public sealed record Fitted(ITransformer Model, FineTuningResult Result);

    /// <summary>The dev metrics (written to metrics.json) and the line that reports them; <see cref="None"/> without dev data.</summary>
    public sealed record Dev(object? Metrics, string? Line)
    {
        public static Dev None { get; } = new(null, null);
    }

    /// <summary>The training curve's title and metric, and what one training row is (rows, windows).</summary>
    public sealed record Curve(string Title, string Metric, string RowUnit);

    /// <summary>
    /// The one fit-and-report of every training command: fits under the stop signals (a divergence keeps the last good
    /// model), saves model.zip, scores the dev data, writes metrics.json (the task's own <paramref name="report"/> fields,
    /// then what every run reports) and the curve, and says what it wrote.
    /// </summary>
    public static int FitAndReport(Settings s, Checked c, MLContext ml, DataViewSchema schema, StopSignals stop, ConsoleProgressBar progress,
        TextWriter output, double? learningRate, Func<Fitted> fit, Func<ITransformer, Dev> evaluateDev, Func<Fitted, Dictionary<string, object?>> report, Curve curve)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (!TryFit(fit, stop, progress, c.Checkpoints, output, ex => Diverged(ex, ml, schema, s, learningRate, c.Checkpoints), out var fitted))
            return stop.ExitCode;
        double seconds = clock.Elapsed.TotalSeconds;
        string modelPath = Path.Combine(s.OutputDirectory, ModelFile);
        SaveModelAtomically(ml, fitted.Model, schema, modelPath);
        var dev = evaluateDev(fitted.Model);
        string metricsPath = Path.Combine(s.OutputDirectory, MetricsFile), curvePath = Path.Combine(s.OutputDirectory, CurveFile);
        var metrics = report(fitted);
        metrics["model"] = s.ModelDirectory ?? $"from scratch ({s.ConfigName})";
        metrics["epochs"] = fitted.Result.EpochsRun;
        metrics["precision"] = fitted.Result.Precision.ShortName();
        metrics["best_epoch"] = fitted.Result.BestEpoch;
        metrics["training_seconds"] = Math.Round(seconds, 1);
        metrics["dev"] = dev.Metrics;
        metrics["final_loss"] = fitted.Result.StepLosses.Count > 0 ? fitted.Result.StepLosses[^1] : double.NaN;
        foreach (var key in metrics.Keys.ToList()) // JSON has no NaN or infinity: a figure that does not exist (no dev set, no step) is null
            if (metrics[key] is double d && !double.IsFinite(d)) metrics[key] = null;
        AtomicFile.WriteAllText(metricsPath, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
        TrainingCurvePlot.Save(curvePath, fitted.Result, curve.Title, curve.Metric);
        if (dev.Line is not null) output.WriteLine(dev.Line);
        output.WriteLine($"trained in {seconds:F0} s ({fitted.Result.TrainingRowsPerSecond:F0} {curve.RowUnit}/s); wrote {modelPath}, {metricsPath}, {curvePath}");
        return 0;
    }

    /// <summary>The settings every training command shares, applied to a trainer's options.</summary>
    public static T Configure<T>(T options, Settings s, Checked c, ConsoleProgressBar progress, StopSignals stop, string trainPath, string? devPath)
        where T : GauTrainerOptionsBase =>
        (T)((GauTrainerOptionsBase)options with
        {
            ModelDirectory = s.ModelDirectory,
            Config = c.Config,
            Epochs = s.Epochs,
            BatchSize = s.BatchSize,
            MaxLength = s.MaxLength,
            LearningRate = s.LearningRate,
            WarmupFraction = s.WarmupFraction,
            WeightAverageDecay = s.WeightAverageDecay,
            MaxGradNorm = s.MaxGradNorm,
            Device = s.Device,
            CpuThreads = s.Threads,
            InferencePrecision = c.Precision,
            TrainingPrecision = c.TrainingPrecision,
            ForceTrainingPrecision = s.ForcePrecision,
            ForceInferencePrecision = s.ForcePrecision,
            GradientCheckpointing = s.GradientCheckpointing ? true : null,
            Seed = s.Seed,
            Pooling = s.Pooling ?? options.Pooling,
            EarlyStoppingPatience = s.Patience,
            Progress = progress,
            Log = progress.Line, // notices only: per-step lines are the progress bar's
            LogLevel = TrainingLogLevel.Notice,
            CancellationToken = stop.Token,
            CheckpointDirectory = c.Checkpoints,
            Resume = s.Resume,
            FingerprintExtras = new Dictionary<string, string>
            {
                ["train_file"] = FileHash(trainPath),
                ["dev_file"] = devPath is null ? "none" : FileHash(devPath),
            },
        });

    /// <summary>
    /// Runs one Fit of any task under the CLI's stop signals: SIGTERM or Ctrl+C ends it after the current step with the
    /// resume hint (false: exit with the signal's code); divergence becomes the CLI's failure (<paramref name="diverged"/>).
    /// </summary>
    public static bool TryFit<T>(Func<T> fit, StopSignals stop, ConsoleProgressBar progress, string checkpoints, TextWriter output,
        Func<GauTrainingDivergedException, CliFailure> diverged, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T result)
    {
        try
        {
            result = fit();
            return true;
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            progress.EndLine();
            output.WriteLine($"stopped by {stop.Name} after the current step. Checkpoints of completed epochs are in {checkpoints}; " +
                             "continue with the same command and --resume.");
            result = default;
            return false;
        }
        catch (GauTrainingDivergedException ex)
        {
            progress.EndLine();
            throw diverged(ex);
        }
        finally
        {
            progress.EndLine();
        }
    }

    /// <summary>Keeps the last good model on disk and says what the CLI offers against divergence.</summary>
    public static CliFailure Diverged(GauTrainingDivergedException ex, MLContext ml, DataViewSchema schema, Settings s, double? learningRate, string checkpoints)
    {
        string lastGood = Path.Combine(s.OutputDirectory, LastGoodModelFile);
        SaveModelAtomically(ml, ex.LastGoodModel ?? throw new InvalidOperationException("a diverged Fit carries its last good model"), schema, lastGood);
        var diverged = ex;
        string advice = s.MaxGradNorm > 0
            ? $"Rerun with a lower --learning-rate (now {learningRate?.ToString("G3") ?? "the default"}) or a smaller --max-grad-norm (now {s.MaxGradNorm:G3})"
            : "Rerun with gradient clipping (--max-grad-norm 1) or a lower --learning-rate";
        return new CliFailure(ExitCodes.Diverged,
            $"error: training diverged at epoch {diverged.Epoch}, step {diverged.Step}: {diverged.Reason}. The last good weights are in {lastGood} " +
            $"(checkpoints of completed epochs are in {checkpoints}).\n{advice}.");
    }

    internal static string FileHash(string path) => $"{Path.GetFileName(path)} sha256 {FileManifest.HashFile(path)[..16]}";

    /// <summary>mlContext.Model.Save into a temporary file, then a rename: a failed save never damages an earlier model.zip.</summary>
    public static void SaveModelAtomically(MLContext ml, ITransformer model, Microsoft.ML.DataViewSchema schema, string path) =>
        AtomicFile.Write(path, stream => ml.Model.Save(model, schema, stream));

    /// <summary>
    /// --model may name a training output folder (with model.zip), the zip itself (its every entry is checked first), or a
    /// folder in the PyTorch layout (gaumlnet.json; written by gau export --format pytorch or interop/pytorch).
    /// </summary>
    public static ITransformer LoadModel(MLContext ml, string modelPath) => LoadModel(ml, modelPath, out _);

    public static ITransformer LoadModel(MLContext ml, string modelPath, out DataViewSchema inputSchema)
    {
        if (Directory.Exists(modelPath) && Interop.PyTorchLayout.Holds(modelPath)) return ml.Model.LoadGauModel(modelPath, out inputSchema);
        string zip = Directory.Exists(modelPath) ? Path.Combine(modelPath, ModelFile) : modelPath;
        if (!File.Exists(zip)) throw new UsageException($"--model: {zip} does not exist (train first with gau train).");
        return ml.Model.LoadGauModel(zip, out inputSchema);
    }

    /// <summary>Prints how many scored rows were longer than the model's max length and were truncated (nothing when none were).</summary>
    public static void ReportTruncation(TextWriter output, Scoring.GauTaskModel model, string what)
    {
        if (model.RowsTruncated > 0)
            output.WriteLine($"{model.RowsTruncated} of {model.RowsEncoded} {what} were longer than the model's max length ({model.Spec.MaxLength} tokens) and were truncated.");
    }
}
