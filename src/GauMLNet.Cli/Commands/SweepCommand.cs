using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Cli.Terminal;
using GauMLNet.Clue;
using GauMLNet.Experiments;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace GauMLNet.Cli.Commands;

/// <summary>gau sweep: search GAU-α hyperparameters on a CLUE task under a time budget, with a live leaderboard.</summary>
internal static class SweepCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var task = CommonOptions.Task();
        var data = CommonOptions.RequiredPath("--data", "the task's folder (train and dev splits; dev is the holdout)");
        var time = new Option<string>("--time") { Description = "the budget, e.g. 20m, 90s, 1h", DefaultValueFactory = _ => "20m" };
        var trials = new Option<int>("--trials") { Description = "at most this many trials", DefaultValueFactory = _ => 100 };
        var tuner = new Option<string>("--tuner") { Description = "tpe or random", DefaultValueFactory = _ => "tpe" };
        var model = new Option<string?>("--model") { Description = "sweep fine-tuning of this checkpoint (default: from scratch, tiny or small)" };
        var outputDir = new Option<string>("--output") { DefaultValueFactory = _ => "gau-sweep" };
        var seed = new Option<int>("--seed");
        var noPruning = new Option<bool>("--no-pruning") { Description = "run every trial to its last epoch (no median-rule stopping)" };
        var encoding = CommonOptions.Encoding();
        var command = new Command("sweep", "Search hyperparameters (learning rate, epochs, batch size, length, dropout, pooling, size) under a time budget.")
        {
            task, data, time, trials, tuner, model, outputDir, seed, noPruning, encoding,
        };
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            var clueTask = ClueTask.Get(r.GetValue(task)!);
            string folder = Arguments.ExistingDirectory("--data", r.GetValue(data)!), outDir = r.GetValue(outputDir)!;
            var budget = ParseDuration(r.GetValue(time)!);
            Arguments.AtLeast("--trials", r.GetValue(trials), 1);
            // A damaged checkpoint is refused here, naming its file, rather than failing every trial with the same message.
            if (r.GetValue(model) is { } checkpointDirectory) Tasks.GauModelSource.FromDirectory(Arguments.ExistingDirectory("--model", checkpointDirectory));
            var textEncoding = Arguments.Encoding(r.GetValue(encoding));
            Directory.CreateDirectory(outDir);
            AtomicFile.RemoveLeftovers(outDir);
            var ml = new MLContext(seed: r.GetValue(seed));
            var train = CluePipeline.Load(ml, ClueDataFolder.Require(folder, ClueDataFolder.Split.Train), clueTask, requireLabels: true, skipBadLines: false, encoding: textEncoding);
            var dev = CluePipeline.Load(ml, ClueDataFolder.Require(folder, ClueDataFolder.Split.Dev), clueTask, requireLabels: true, skipBadLines: false, encoding: textEncoding);
            CluePipeline.CheckLabels(clueTask, train, "the training data");
            CluePipeline.CheckLabels(clueTask, dev, "the dev data");
            var keyMap = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(train);
            var keyedTrain = keyMap.Transform(train);
            var keyedDev = keyMap.Transform(dev);
            string? checkpoint = r.GetValue(model);
            var baseOptions = new GauTextClassificationOptions
            {
                SentenceColumnName = nameof(ClueExample.Sentence1),
                SecondSentenceColumnName = clueTask.IsPair ? nameof(ClueExample.Sentence2) : null,
                ModelDirectory = checkpoint,
                Seed = r.GetValue(seed),
            };
            var experiment = new GauExperiment(ml, SearchSpace.ForFineTuning(fromScratch: checkpoint is null),
                (p, plumbing) => ml.MulticlassClassification.Trainers.GauTextClassification(plumbing.Apply(p, baseOptions)))
            {
                Tuner = r.GetValue(tuner)!.ToLowerInvariant() switch
                {
                    "tpe" => new TreeParzenTuner(),
                    "random" => new RandomTuner(),
                    var t => throw new UsageException($"--tuner: unknown tuner '{t}'; expected tpe or random."),
                },
                Settings = new ExperimentSettings
                {
                    Budget = budget,
                    MaxTrials = r.GetValue(trials),
                    Seed = r.GetValue(seed),
                    Pruning = !r.GetValue(noPruning),
                    TrialLogPath = Path.Combine(outDir, "trials.jsonl"),
                },
                OutputDirectory = outDir,
            };
            output.WriteLine($"{clueTask.Name}: sweeping for {r.GetValue(time)} ({experiment.Tuner.GetType().Name}); trials are logged to {Path.Combine(outDir, "trials.jsonl")}");
            experiment.TrialFinished += (result, history) => PrintLeaderboard(output, result, history);
            var leaderboard = experiment.Run(keyedTrain, keyedDev);

            AtomicFile.WriteAllText(Path.Combine(outDir, "leaderboard.json"), JsonSerializer.Serialize(leaderboard.Select(t => new
            {
                t.Id,
                t.Metric,
                t.Seconds,
                Status = t.Status.ToString(),
                Parameters = t.Parameters.Values,
                t.EpochMetrics,
            }), new JsonSerializerOptions { WriteIndented = true }));
            var ordered = leaderboard.OrderBy(t => t.Id).ToList();
            var finished = ordered.Where(t => t.Metric is not null).ToList();
            if (finished.Count > 0)
                TrainingCurvePlot.SavePoints(Path.Combine(outDir, "sweep.png"), $"GAU-α sweep on {clueTask.Name}", "trial", "dev accuracy",
                    finished.Select(t => (double)t.Id).ToArray(), finished.Select(t => t.Metric!.Value).ToArray());
            var best = leaderboard.FirstOrDefault(t => t.Metric is not null);
            if (best is null)
            {
                // Every trial failing is an error in what they all share (data, checkpoint), not an empty leaderboard.
                if (ordered.Count > 0 && ordered.All(t => t.Status == TrialStatus.Failed))
                    throw new CliFailure(ExitCodes.DataError, $"error: all {ordered.Count} trial(s) failed; the first: {ordered[0].Error}");
                throw new CliFailure(ExitCodes.BudgetExhausted,
                    $"error: no trial finished within the budget of {budget}; raise --time, or shrink the search (a smaller --config, fewer epochs).");
            }
            if (experiment.BestModel is { } bestModel)
            {
                var chain = new Microsoft.ML.Data.TransformerChain<ITransformer>(keyMap, bestModel,
                    ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(bestModel.Transform(keyedTrain)));
                TrainingRun.SaveModelAtomically(ml, chain, train.Schema, Path.Combine(outDir, TrainingRun.ModelFile));
            }
            output.WriteLine($"best: trial {best.Id}, dev accuracy {best.Metric:P2} ({best.Parameters}); wrote {Path.Combine(outDir, TrainingRun.ModelFile)}, leaderboard.json, sweep.png");
            return 0;
        }));
        return command;
    }

    private static void PrintLeaderboard(TextWriter output, TrialResult latest, IReadOnlyList<TrialResult> history)
    {
        output.WriteLine($"trial {latest.Id}: {latest.Status} {(latest.Metric is { } m ? m.ToString("P2", CultureInfo.InvariantCulture) : "-")} in {latest.Seconds:F0} s ({latest.Parameters})");
        foreach (var (t, rank) in GauExperiment.Leaderboard(history).Where(h => h.Metric is not null).Take(5).Select((t, i) => (t, i + 1)))
            output.WriteLine($"   #{rank} trial {t.Id,3} {t.Metric:P2} {t.Seconds,5:F0} s  {t.Parameters}");
    }

    internal static TimeSpan ParseDuration(string text)
    {
        string value = text.Trim().ToLowerInvariant();
        var unit = value.Length == 0 ? '?' : value[^1];
        bool parsed = double.TryParse(value.Length > 0 ? value[..^1] : "", NumberStyles.Float, CultureInfo.InvariantCulture, out double amount);
        TimeSpan? duration = !parsed || !(amount > 0) ? null : unit switch
        {
            'h' => TimeSpan.FromHours(amount),
            'm' => TimeSpan.FromMinutes(amount),
            's' => TimeSpan.FromSeconds(amount),
            _ => null,
        };
        return duration ?? throw new UsageException($"--time: expected a positive duration like 20m, 90s or 1h, got '{text}'.");
    }
}
