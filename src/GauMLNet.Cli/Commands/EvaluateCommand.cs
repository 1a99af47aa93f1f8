using System.CommandLine;
using System.Text.Json;
using GauMLNet.Clue;
using GauMLNet.Storage;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>gau evaluate: score a trained model on a task's dev split (or another labelled split).</summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var task = CommonOptions.Task();
        var data = CommonOptions.RequiredPath("--data", "the task's folder");
        var model = CommonOptions.RequiredPath("--model", "a training output folder (with model.zip) or a model zip");
        var file = new Option<string?>("--file") { Description = "a labelled JSON-lines file to score instead of the folder's dev split" };
        var json = new Option<string?>("--json") { Description = "also write the metrics to this JSON file" };
        var skipBad = new Option<bool>("--skip-bad-lines");
        var command = new Command("evaluate", "Report accuracy of a trained model on labelled CLUE data.") { task, data, model, file, json, skipBad };
        command.SetAction(r => GauCli.Guard(error, () =>
        {
            var clueTask = ClueTask.Get(r.GetValue(task)!);
            var ml = new MLContext();
            string path = r.GetValue(file) ?? ClueDataFolder.Require(r.GetValue(data)!, ClueDataFolder.Split.Dev);
            var labelled = CluePipeline.Load(ml, path, clueTask, requireLabels: true, r.GetValue(skipBad), output.WriteLine);
            var trained = TrainingRun.LoadModel(ml, r.GetValue(model)!);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var metrics = CluePipeline.Evaluate(ml, clueTask, trained, labelled);
            double seconds = clock.Elapsed.TotalSeconds;
            output.WriteLine($"{clueTask.Name} {Path.GetFileName(path)}: accuracy {metrics.Accuracy:P2} (macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F4}) " +
                             $"over {metrics.Rows} rows, scored in {seconds:F2} s ({metrics.Rows / seconds:F0} rows/s)");
            if (r.GetValue(json) is { } jsonPath)
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }));
        return command;
    }
}
