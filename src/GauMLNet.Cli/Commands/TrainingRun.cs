using System.Text.Json;
using GauMLNet.Cli.Terminal;
using GauMLNet.Clue;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>What `gau train` and `gau quickstart` share: fit a CLUE task and write model.zip, metrics.json and the curve.</summary>
internal static class TrainingRun
{
    public const string ModelFile = "model.zip";
    public const string MetricsFile = "metrics.json";
    public const string CurveFile = "training-curve.png";
    public const string CheckpointFolder = "checkpoints";

    public sealed record Settings(ClueTask Task, string DataDirectory, string OutputDirectory, string? ModelDirectory, string ConfigName,
        int Epochs, int BatchSize, int MaxLength, double? LearningRate, string Device, int Threads, int Seed, bool Resume, bool SkipBadLines, int? Patience,
        InferencePrecision Precision = InferencePrecision.Float32, bool GradientCheckpointing = false);

    public static int Run(Settings s, TextWriter output)
    {
        var ml = new MLContext(seed: s.Seed);
        void Log(string message) => output.WriteLine(message);
        var train = CluePipeline.Load(ml, ClueDataFolder.Require(s.DataDirectory, ClueDataFolder.Split.Train), s.Task, requireLabels: true, s.SkipBadLines, Log);
        string? devPath = ClueDataFolder.Find(s.DataDirectory, ClueDataFolder.Split.Dev);
        var dev = devPath is null ? null : CluePipeline.Load(ml, devPath, s.Task, requireLabels: true, s.SkipBadLines, Log);
        output.WriteLine($"{s.Task.Name}: {train.GetRowCount()} training rows, {dev?.GetRowCount() ?? 0} dev rows; " +
                         (s.ModelDirectory is null ? $"training a {s.ConfigName} GAU-α from scratch" : $"fine-tuning {s.ModelDirectory}"));

        var progress = ConsoleProgressBar.For(output);
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // stop after the current step instead of killing the process
            cancel.Cancel();
        };
        System.Console.CancelKeyPress += onCancel;
        var options = new GauTextClassificationOptions
        {
            ModelDirectory = s.ModelDirectory,
            Config = s.ModelDirectory is null ? GauAlphaConfig.FromPreset(s.ConfigName) : null,
            Epochs = s.Epochs,
            BatchSize = s.BatchSize,
            MaxLength = s.MaxLength,
            LearningRate = s.LearningRate,
            Device = s.Device,
            CpuThreads = s.Threads,
            InferencePrecision = s.Precision,
            GradientCheckpointing = s.GradientCheckpointing ? true : null,
            Seed = s.Seed,
            EarlyStoppingPatience = s.Patience,
            Progress = progress,
            CancellationToken = cancel.Token,
            CheckpointDirectory = Path.Combine(s.OutputDirectory, CheckpointFolder),
            Resume = s.Resume,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Microsoft.ML.Data.TransformerChain<ITransformer> model;
        try
        {
            model = CluePipeline.Fit(ml, s.Task, train, dev, options, o => ml.MulticlassClassification.Trainers.GauTextClassification(o));
        }
        catch (OperationCanceledException)
        {
            progress.EndLine();
            output.WriteLine($"stopped. Checkpoints of completed epochs are in {options.CheckpointDirectory}; continue with the same command and --resume.");
            return 130;
        }
        finally
        {
            System.Console.CancelKeyPress -= onCancel;
            progress.EndLine();
        }

        var classifier = model.OfType<GauTextClassificationTransformer>().Single();
        string modelPath = Path.Combine(s.OutputDirectory, ModelFile);
        SaveModelAtomically(ml, model, train.Schema, modelPath);
        var result = classifier.TrainingResult!;
        ClueMetrics? devMetrics = dev is null ? null : CluePipeline.Evaluate(ml, s.Task, model, dev);
        var report = new
        {
            task = s.Task.Name,
            model = s.ModelDirectory ?? $"from scratch ({s.ConfigName})",
            epochs = result.EpochsRun,
            best_epoch = result.BestEpoch,
            training_rows_per_second = Math.Round(result.TrainingRowsPerSecond, 1),
            training_seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            dev = devMetrics,
            dev_accuracy_per_epoch = result.ValidationMetrics,
            final_loss = result.StepLosses.Count > 0 ? result.StepLosses[^1] : double.NaN,
        };
        AtomicFile.WriteAllText(Path.Combine(s.OutputDirectory, MetricsFile), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        TrainingCurvePlot.Save(Path.Combine(s.OutputDirectory, CurveFile), result, $"GAU-α on {s.Task.Name}", "accuracy");

        if (devMetrics is not null) output.WriteLine($"dev accuracy {devMetrics.Accuracy:P2} over {devMetrics.Rows} rows (macro {devMetrics.MacroAccuracy:P2})");
        output.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F0} s ({result.TrainingRowsPerSecond:F0} rows/s); wrote {modelPath}, " +
                         $"{Path.Combine(s.OutputDirectory, MetricsFile)}, {Path.Combine(s.OutputDirectory, CurveFile)}");
        return 0;
    }

    /// <summary>mlContext.Model.Save into a temporary file, then a rename: a failed save never damages an earlier model.zip.</summary>
    public static void SaveModelAtomically(MLContext ml, ITransformer model, Microsoft.ML.DataViewSchema schema, string path) =>
        AtomicFile.Write(path, stream => ml.Model.Save(model, schema, stream));

    /// <summary>--model may name a training output folder (with model.zip) or the zip itself.</summary>
    public static ITransformer LoadModel(MLContext ml, string modelPath)
    {
        string zip = Directory.Exists(modelPath) ? Path.Combine(modelPath, ModelFile) : modelPath;
        if (!File.Exists(zip)) throw new FileNotFoundException($"--model: {zip} does not exist (train first with gau train).", zip);
        return ml.Model.LoadGauModel(zip, out _);
    }
}
