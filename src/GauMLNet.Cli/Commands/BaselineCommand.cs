using System.CommandLine;
using GauMLNet.Cli.Failures;
using GauMLNet.Clue;
using GauMLNet.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Cli.Commands;

/// <summary>gau baseline: the classic ML.NET text classifier (character 1–3-grams + SdcaMaximumEntropy) on the same split, to compare with.</summary>
internal static class BaselineCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var task = CommonOptions.Task();
        var data = CommonOptions.RequiredPath("--data", "the task's folder (train and dev splits)");
        var encoding = CommonOptions.Encoding();
        var command = new Command("baseline", "Train and score ML.NET's character n-gram + SdcaMaximumEntropy classifier on a CLUE task.") { task, data, encoding };
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            var clueTask = ClueTask.Get(r.GetValue(task)!);
            string folder = Arguments.ExistingDirectory("--data", r.GetValue(data)!);
            var textEncoding = Arguments.Encoding(r.GetValue(encoding));
            var ml = new MLContext(seed: 0);
            var train = CluePipeline.Load(ml, ClueDataFolder.Require(folder, ClueDataFolder.Split.Train), clueTask, requireLabels: true, skipBadLines: false, encoding: textEncoding);
            var dev = CluePipeline.Load(ml, ClueDataFolder.Require(folder, ClueDataFolder.Split.Dev), clueTask, requireLabels: true, skipBadLines: false, encoding: textEncoding);
            CluePipeline.CheckLabels(clueTask, train, "the training data");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var scored = CharNgramPipeline.Classifier(ml, clueTask.IsPair).Fit(train).Transform(dev);
            // Every dev row counts: one whose label never occurs in training is an error (ML.NET's evaluator would drop it).
            var truth = dev.GetColumn<string>(nameof(ClueExample.Label)).ToList();
            var predicted = scored.GetColumn<string>("PredictedLabel").ToList();
            var perClass = truth.Select((t, i) => (Truth: t, Right: t == predicted[i])).GroupBy(p => p.Truth).Select(g => g.Average(p => p.Right ? 1.0 : 0.0)).ToList();
            double accuracy = truth.Where((t, i) => t == predicted[i]).Count() / (double)truth.Count;
            output.WriteLine($"{clueTask.Name} baseline (char 1-3-grams + SdcaMaximumEntropy): dev accuracy {accuracy:P2} " +
                             $"(macro {perClass.Average():P2}) over {truth.Count} rows in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }
}
