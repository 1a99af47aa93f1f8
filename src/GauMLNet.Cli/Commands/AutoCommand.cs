using System.CommandLine;
using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Clue;
using GauMLNet.Configuration;
using GauMLNet.Experiments;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.TorchSharp;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau auto: chooses the pipeline for a CLUE classification task by stratified k-fold cross-validation over train + dev
/// (<see cref="PipelineSelection"/>) among character n-grams, GAU-α embeddings beside n-grams (with --encoder), GAU-α
/// fine-tuned (from --encoder, and from scratch) and the ensemble averaging their probabilities; writes the winner refit on every labelled row (model.zip) and leaderboard.json.
/// </summary>
internal static class AutoCommand
{
    public const string LeaderboardFile = "leaderboard.json";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var task = CommonOptions.Task();
        var data = CommonOptions.RequiredPath("--data", "the task's folder (train and dev splits)");
        var time = new Option<string>("--time") { Description = "the budget of the candidates' cross-validation, e.g. 30m, 90s, 2h (the winner's refit comes after it)", DefaultValueFactory = _ => "30m" };
        var folds = new Option<int>("--folds") { Description = "cross-validation folds, stratified by label", DefaultValueFactory = _ => 5 };
        var encoder = new Option<string?>("--encoder") { Description = "a checkpoint directory (e.g. from gau pretrain): GAU-α fine-tuned starts from it, the hybrid of its embeddings and n-grams joins, and the one from scratch (--config) stays beside them" };
        var config = new Option<string>("--config") { Description = "the GAU-α fine-tuned from scratch (tiny, small, base or a config.json); with --encoder it runs beside the one fine-tuned from the encoder", DefaultValueFactory = _ => "tiny" };
        var epochs = new Option<int>("--epochs") { Description = "GAU-α fine-tuning epochs", DefaultValueFactory = _ => 10 };
        var learningRate = CommonOptions.LearningRate("--encoder");
        var batchSize = CommonOptions.FineTuningBatchSize();
        var maxLength = new Option<int>("--max-length") { Description = "tokens per row for the GAU candidates", DefaultValueFactory = _ => 128 };
        var outputDir = new Option<string>("--output") { Description = "where model.zip and leaderboard.json go", DefaultValueFactory = _ => "gau-auto" };
        var stopEarly = new Option<int?>("--stop-early") { Description = "from this many folds on (2 or more), stop a candidate behind the leader on each of them by more than two standard errors of the difference (off: every candidate runs all folds)" };
        var seed = new Option<int>("--seed") { Description = "seeds the folds and the GAU candidates" };
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch (0: its default)" };
        var device = CommonOptions.Device();
        var encoding = CommonOptions.Encoding();
        var command = new Command("auto", "Choose between n-grams, GAU-α, their hybrid and their ensemble for a CLUE classification task by cross-validation; writes model.zip and leaderboard.json.")
        {
            task, data, time, folds, stopEarly, encoder, config, epochs, learningRate, batchSize, maxLength, outputDir, seed, threads, device, encoding,
        };
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            var clueTask = ClueTask.Get(r.GetValue(task)!);
            string folder = Arguments.ExistingDirectory("--data", r.GetValue(data)!);
            var budget = SweepCommand.ParseDuration(r.GetValue(time)!);
            int k = Arguments.AtLeast("--folds", r.GetValue(folds), 2);
            if (r.GetValue(stopEarly) is { } after) Arguments.AtLeast("--stop-early", after, 2);
            Arguments.AtLeast("--epochs", r.GetValue(epochs), 1);
            if (r.GetValue(learningRate) is { } rate) Arguments.Positive("--learning-rate", rate);
            Arguments.AtLeast("--batch-size", r.GetValue(batchSize), 1);
            Arguments.AtLeast("--max-length", r.GetValue(maxLength), clueTask.IsPair ? 4 : 3);
            Arguments.AtLeast("--threads", r.GetValue(threads), 0);
            string deviceName = Arguments.Device(r.GetValue(device)!);
            string? encoderDirectory = r.GetValue(encoder) is { } e ? Arguments.ExistingDirectory("--encoder", e) : null;
            foreach (string file in new[] { "config.json", "vocab.txt" })
                if (encoderDirectory is not null && !File.Exists(Path.Combine(encoderDirectory, file)))
                    throw new UsageException($"--encoder: {encoderDirectory} has no {file}; give a checkpoint directory (config.json, model.safetensors, vocab.txt), e.g. one gau pretrain wrote.");
            if (encoderDirectory is not null) GauAlphaEncoder.Load(encoderDirectory, "cpu").Dispose(); // a damaged checkpoint stops here, not in every fold
            GauAlphaConfig scratch = Arguments.Config(r.GetValue(config)!);
            var textEncoding = Arguments.Encoding(r.GetValue(encoding));
            string outDir = r.GetValue(outputDir)!;

            var train = ClueDataReader.Read(ClueDataFolder.Require(folder, ClueDataFolder.Split.Train), clueTask, requireLabels: true, encoding: textEncoding).Examples;
            var dev = ClueDataFolder.Find(folder, ClueDataFolder.Split.Dev) is { } devPath
                ? ClueDataReader.Read(devPath, clueTask, requireLabels: true, encoding: textEncoding).Examples : null;
            var ml = new MLContext(seed: r.GetValue(seed));
            CluePipeline.CheckLabels(clueTask, ml.Data.LoadFromEnumerable(train), "the training data");
            output.WriteLine($"{clueTask.Name}: {train.Count} training rows, {dev?.Count ?? 0} dev rows; {k}-fold cross-validation over all {train.Count + (dev?.Count ?? 0)}, budget {budget}");

            var gauOptions = new GauTextClassificationOptions
            {
                ModelDirectory = encoderDirectory,
                Config = encoderDirectory is null ? scratch : null,
                Epochs = r.GetValue(epochs),
                LearningRate = r.GetValue(learningRate),
                BatchSize = r.GetValue(batchSize),
                MaxLength = r.GetValue(maxLength),
                Seed = r.GetValue(seed),
                Device = deviceName,
                CpuThreads = r.GetValue(threads),
                LogLevel = Training.TrainingLogLevel.Notice,
                Metadata = new Dictionary<string, string> { [ClueTask.MetadataKey] = clueTask.Name },
            };
            var candidates = new List<PipelineCandidate> { GauPipelineCandidates.CharNgrams(ml, clueTask.IsPair) };
            if (encoderDirectory is not null)
                candidates.Add(GauPipelineCandidates.Hybrid(ml, clueTask.IsPair, encoderDirectory, r.GetValue(maxLength), deviceName));
            candidates.Add(GauPipelineCandidates.FineTuned(ml, clueTask.IsPair, gauOptions));
            // Beside an encoder, fine-tuning from scratch (at its own default rate: --learning-rate is the encoder's): in-domain pretraining helps some tasks and hurts others.
            var fromScratch = encoderDirectory is null ? null : gauOptions with { ModelDirectory = null, Config = scratch, LearningRate = null };
            if (fromScratch is not null) candidates.Add(GauPipelineCandidates.FromScratch(ml, clueTask.IsPair, fromScratch));
            candidates.Add(GauPipelineCandidates.Ensemble(ml, clueTask.IsPair, gauOptions, encoderDirectory, r.GetValue(maxLength), deviceName, fromScratch));

            var selection = new PipelineSelection(ml) { Folds = k, Seed = r.GetValue(seed), Budget = budget, StopEarlyAfterFolds = r.GetValue(stopEarly), Log = output.WriteLine };
            var result = selection.Run(train, dev, candidates);
            Directory.CreateDirectory(outDir);
            string modelPath = Path.Combine(outDir, TrainingRun.ModelFile), boardPath = Path.Combine(outDir, LeaderboardFile);
            TrainingRun.SaveModelAtomically(ml, result.Model, result.InputSchema, modelPath);
            AtomicFile.WriteAllText(boardPath, JsonSerializer.Serialize(Leaderboard(clueTask, result, k, r.GetValue(stopEarly), r.GetValue(seed), budget, train.Count, dev?.Count ?? 0),
                new JsonSerializerOptions { WriteIndented = true }));
            output.WriteLine("candidate        cv accuracy        dev        seconds   model MB");
            foreach (var s in result.Leaderboard)
                output.WriteLine(s.Status == CandidateStatus.Completed
                    ? $"{s.Name,-16} {s.Mean,7:P2} ± {s.StandardDeviation,6:P2}  {(s.DevAccuracy is { } d ? d.ToString("P2") : "-"),8}  {s.Seconds,8:F0}  {(s.ModelBytes ?? 0) / 1048576.0,8:F1}"
                    : $"{s.Name,-16} {s.Status}: {s.Error}");
            output.WriteLine($"chosen: {result.Chosen.Name} ({result.Chosen.Description}); refit on all labelled rows; wrote {modelPath}, {boardPath}");
            return 0;
        }));
        return command;
    }

    private static Dictionary<string, object?> Leaderboard(ClueTask task, PipelineSelectionResult result, int folds, int? stopEarlyAfter, int seed, TimeSpan budget, int trainRows, int devRows) => new()
    {
        ["task"] = task.Name,
        ["folds"] = folds,
        ["seed"] = seed,
        ["budget_seconds"] = budget.TotalSeconds,
        ["stop_early_after_folds"] = stopEarlyAfter,
        ["train_rows"] = trainRows,
        ["dev_rows"] = devRows,
        ["chosen"] = result.Chosen.Name,
        ["rule"] = "the best mean cross-validated accuracy, or the cheapest candidate whose fold-by-fold difference from it averages at most one standard error",
        ["candidates"] = result.Leaderboard.Select(s => new Dictionary<string, object?>
        {
            ["name"] = s.Name,
            ["description"] = s.Description,
            ["cost_rank"] = s.Cost,
            ["status"] = s.Status.ToString(),
            ["cv_mean"] = Finite(s.Mean),
            ["cv_sd"] = Finite(s.StandardDeviation),
            ["fold_accuracies"] = s.FoldAccuracies,
            ["dev_accuracy"] = s.DevAccuracy,
            ["seconds"] = Math.Round(s.Seconds, 1),
            ["model_bytes"] = s.ModelBytes,
            ["error"] = s.Error,
        }).ToList(),
    };

    private static double? Finite(double value) => double.IsFinite(value) ? Math.Round(value, 6) : null;
}
