using System.CommandLine;
using GauMLNet.Clue;
using Microsoft.ML;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Text;

namespace GauMLNet.Cli.Commands;

/// <summary>gau baseline: the classic ML.NET text classifier (character 1–3-grams + SdcaMaximumEntropy) on the same split, to compare with.</summary>
internal static class BaselineCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var task = CommonOptions.Task();
        var data = CommonOptions.RequiredPath("--data", "the task's folder (train and dev splits)");
        var command = new Command("baseline", "Train and score ML.NET's character n-gram + SdcaMaximumEntropy classifier on a CLUE task.") { task, data };
        command.SetAction(r => GauCli.Guard(error, () =>
        {
            var clueTask = ClueTask.Get(r.GetValue(task)!);
            string folder = r.GetValue(data)!;
            var ml = new MLContext(seed: 0);
            var train = CluePipeline.Load(ml, ClueDataFolder.Require(folder, ClueDataFolder.Split.Train), clueTask, requireLabels: true, skipBadLines: false);
            var dev = CluePipeline.Load(ml, ClueDataFolder.Require(folder, ClueDataFolder.Split.Dev), clueTask, requireLabels: true, skipBadLines: false);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var metrics = ml.MulticlassClassification.Evaluate(Pipeline(ml, clueTask).Fit(train).Transform(dev));
            output.WriteLine($"{clueTask.Name} baseline (char 1-3-grams + SdcaMaximumEntropy): dev accuracy {metrics.MicroAccuracy:P2} " +
                             $"(macro {metrics.MacroAccuracy:P2}) in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }));
        return command;
    }

    private static IEstimator<ITransformer> Pipeline(MLContext ml, ClueTask task)
    {
        TextFeaturizingEstimator.Options CharNgrams() => new()
        {
            WordFeatureExtractor = null,
            CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = 3, UseAllLengths = true },
        };
        IEstimator<ITransformer> features = ml.Transforms.Text.FeaturizeText("Features1", CharNgrams(), nameof(ClueExample.Sentence1));
        string[] columns = ["Features1"];
        if (task.IsPair)
        {
            features = features.Append(ml.Transforms.Text.FeaturizeText("Features2", CharNgrams(), nameof(ClueExample.Sentence2)));
            columns = ["Features1", "Features2"];
        }
        return features
            .Append(ml.Transforms.Concatenate("Features", columns))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy());
    }
}
