using System.CommandLine;
using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Clue;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Cli.Commands;

/// <summary>gau evaluate: score a trained model on a task's dev split (or another labelled split).</summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var task = CommonOptions.Task(required: false);
        var data = new Option<string?>("--data") { Description = "the task's folder (its dev split is scored), or a labelled data file: .csv, .tsv or .jsonl" };
        var dataFile = new DataFileOptions();
        var model = CommonOptions.RequiredPath("--model", "a training output folder (with model.zip), a model zip, or a PyTorch-layout folder (gau export --format pytorch)");
        var file = new Option<string?>("--file") { Description = "a labelled JSON-lines file to score instead of the folder's dev split" };
        var json = new Option<string?>("--json") { Description = "also write the metrics to this JSON file" };
        var scores = new Option<string?>("--scores") { Description = "also write each row's id, predicted label and class probabilities (the head's output order) to this JSON-lines file; cluener and cmrc2018: each window's token ids and raw head outputs" };
        var skipBad = new Option<bool>("--skip-bad-lines");
        var encoding = CommonOptions.Encoding();
        var command = new Command("evaluate", "Report accuracy (or Pearson r) of a trained model on labelled CLUE data or a data file (every row counts).")
        {
            task, data, model, file, json, scores, skipBad, encoding,
        };
        foreach (var option in dataFile.All()) command.Options.Add(option);
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            var textEncoding = Arguments.Encoding(r.GetValue(encoding));
            if (r.GetValue(data) is { } given && DataFileOptions.IsDataFile(given))
                return DataFileRun.Evaluate(r.GetValue(model)!, given, dataFile, r, r.GetValue(skipBad), textEncoding, r.GetValue(json), output, error);
            if (dataFile.AnyGiven(r)) throw new UsageException("--text-column, --text-pair-column, --label-column and --header read a data file given as --data.");
            if (r.GetValue(task) is null) throw new UsageException("evaluate needs --task with a CLUE folder or --file, or a data file (.csv, .tsv, .jsonl) as --data.");
            string path = r.GetValue(file) is { } f ? Arguments.ExistingFile("--file", f)
                : r.GetValue(data) is { } folder ? ClueDataFolder.Require(Arguments.ExistingDirectory("--data", folder), ClueDataFolder.Split.Dev)
                : throw new UsageException("evaluate needs --data (a folder with a dev split) or --file.");
            if (QuestionRun.IsQuestionTask(r.GetValue(task)!)) return QuestionRun.Evaluate(r.GetValue(model)!, path, textEncoding, r.GetValue(json), r.GetValue(scores), output);
            if (EntityRun.IsEntityTask(r.GetValue(task)!)) return EntityRun.Evaluate(r.GetValue(model)!, path, textEncoding, r.GetValue(json), r.GetValue(scores), output);
            var clueTask = ClueTask.Get(r.GetValue(task)!);
            var ml = new MLContext();
            var trained = TrainingRun.LoadModel(ml, r.GetValue(model)!);
            var classifier = CluePipeline.ClassifierOrNull(trained, clueTask);
            var labelled = CluePipeline.Load(ml, path, clueTask, requireLabels: true, r.GetValue(skipBad), output.WriteLine, textEncoding);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var metrics = CluePipeline.EvaluateAny(clueTask, trained, labelled, error.WriteLine);
            double seconds = clock.Elapsed.TotalSeconds;
            output.WriteLine($"{clueTask.Name} {Path.GetFileName(path)}: accuracy {metrics.Accuracy:P2} (macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F4}) " +
                             $"over {metrics.Rows} rows, scored in {seconds:F2} s ({metrics.Rows / seconds:F0} rows/s)");
            if (classifier is not null) TrainingRun.ReportTruncation(output, classifier.Model, "rows");
            if (r.GetValue(scores) is { } scoresPath) WriteScores(trained, labelled, classifier?.Model.Spec.OutputColumns[0] ?? "Score", scoresPath);
            if (r.GetValue(json) is { } jsonPath)
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }));
        return command;
    }

    // One pass over the scored rows: id, predicted label and the probabilities, for comparisons with other implementations.
    private static void WriteScores(ITransformer model, IDataView labelled, string scoreColumn, string path)
    {
        var scored = model.Transform(labelled);
        var columns = new[] { scored.Schema[nameof(ClueExample.Id)], scored.Schema["PredictedLabel"], scored.Schema[scoreColumn] };
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            using var cursor = scored.GetRowCursor(columns);
            var getId = cursor.GetGetter<ReadOnlyMemory<char>>(columns[0]);
            var getLabel = cursor.GetGetter<ReadOnlyMemory<char>>(columns[1]);
            var getScore = cursor.GetGetter<VBuffer<float>>(columns[2]);
            ReadOnlyMemory<char> id = default, label = default;
            VBuffer<float> score = default;
            while (cursor.MoveNext())
            {
                getId(ref id);
                getLabel(ref label);
                getScore(ref score);
                writer.WriteLine(JsonSerializer.Serialize(new { id = id.ToString(), label = label.ToString(), scores = score.DenseValues().ToArray() }));
            }
        });
    }
}
