using System.CommandLine;
using GauMLNet.Cli.Failures;
using GauMLNet.Clue;
using GauMLNet.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Cli.Commands;

/// <summary>gau predict: write the CLUE submission file for a task's test split, score a data file into another, or label sentences given inline.</summary>
internal static class PredictCommand
{
    public const string PairSeparator = "|||";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var task = CommonOptions.Task(required: false);
        var input = new Option<string?>("--input") { Description = "a data file to score (.csv, .tsv, .jsonl): --output names the scored file, written whole or not at all" };
        var batchSize = new Option<int>("--batch-size") { Description = "with --input: rows scored at a time (memory is bounded by this, not by the file)", DefaultValueFactory = _ => 256 };
        var shard = new Option<string?>("--shard") { Description = "with --input: score only shard i/N, the rows whose 0-based position modulo N is i (merge with gau merge-shards)" };
        var dataFile = new DataFileOptions();
        var data = new Option<string?>("--data") { Description = "the task's folder; its test.json is predicted" };
        var model = CommonOptions.RequiredPath("--model", "a training output folder (with model.zip) or a model zip");
        var outputDir = new Option<string>("--output") { Description = "folder for the submission file; with --input, the scored file", DefaultValueFactory = _ => "." };
        var text = new Option<string[]>("--text")
        {
            Description = $"predict these sentences instead (pair tasks: \"first {PairSeparator} second\")",
            AllowMultipleArgumentsPerToken = true,
        };
        var question = new Option<string?>("--question") { Description = "cmrc2018: the question to answer from each --text" };
        var skipBad = new Option<bool>("--skip-bad-lines");
        var encoding = CommonOptions.Encoding();
        var command = new Command("predict", "Predict a task's test split into a CLUE submission file (e.g. afqmc_predict.json), or score a data file (--input).")
        {
            task, data, model, outputDir, text, question, skipBad, encoding, input, batchSize, shard,
        };
        foreach (var option in dataFile.All(withLabel: false)) command.Options.Add(option);
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            var textEncoding = Arguments.Encoding(r.GetValue(encoding));
            if (r.GetValue(input) is { } inputFile)
                return DataFileRun.Predict(r.GetValue(model)!, inputFile, r.GetValue(outputDir)!, dataFile, r, r.GetValue(skipBad), textEncoding, r.GetValue(batchSize),
                    r.GetValue(shard) is { } part ? ParseShard(part) : null, output);
            if (dataFile.AnyGiven(r)) throw new UsageException("--text-column, --text-pair-column and --header read the data file given as --input.");
            if (r.GetValue(task) is null) throw new UsageException("predict needs --task with --data (a CLUE folder) or --text, or a data file as --input.");
            var sentences = (r.GetValue(text) ?? []).Select(t => Arguments.Text("--text", t)).ToList();
            string? folder = sentences.Count > 0 ? null
                : Arguments.ExistingDirectory("--data", r.GetValue(data) ?? throw new UsageException("predict needs --data (a folder with test.json) or --text."));
            if (QuestionRun.IsQuestionTask(r.GetValue(task)!))
                return QuestionRun.Predict(r.GetValue(model)!, folder, sentences, r.GetValue(question), r.GetValue(outputDir)!, textEncoding, output);
            if (EntityRun.IsEntityTask(r.GetValue(task)!)) return EntityRun.Predict(r.GetValue(model)!, folder, sentences, r.GetValue(outputDir)!, textEncoding, output);
            var clueTask = ClueTask.Get(r.GetValue(task)!);
            var ml = new MLContext();
            var trained = TrainingRun.LoadModel(ml, r.GetValue(model)!);
            var classifier = CluePipeline.ClassifierOrNull(trained, clueTask); // null: a chain gau auto chose without a GAU classifier
            if (classifier is null) _ = CluePipeline.ScoreSlotNames(trained, ml.Data.LoadFromEnumerable(new List<ClueExample>()).Schema); // is it a classifier at all
            if (folder is null)
            {
                foreach (var (sentence, label) in PredictSentences(ml, trained, clueTask, sentences))
                    output.WriteLine($"{label}\t{sentence}");
                if (classifier is not null) TrainingRun.ReportTruncation(output, classifier.Model, "sentences");
                return 0;
            }
            var test = CluePipeline.Load(ml, ClueDataFolder.Require(folder, ClueDataFolder.Split.Test), clueTask, requireLabels: false, r.GetValue(skipBad),
                output.WriteLine, textEncoding);
            string path = Path.Combine(r.GetValue(outputDir)!, clueTask.SubmissionFile);
            int rows = CluePipeline.WriteSubmission(trained, test, path);
            output.WriteLine($"wrote {rows} predictions to {path}");
            if (classifier is not null) TrainingRun.ReportTruncation(output, classifier.Model, "rows");
            return 0;
        }));
        return command;
    }

    /// <summary>"i/N" with 0 ≤ i &lt; N.</summary>
    public static (int Index, int Count) ParseShard(string value)
    {
        var parts = value.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int index) && int.TryParse(parts[1], out int count) && count >= 1 && index >= 0 && index < count)
            return (index, count);
        throw new UsageException($"--shard: '{value}' is not i/N with 0 <= i < N (e.g. 0/2 and 1/2).");
    }

    public static IEnumerable<(string Sentence, string Label)> PredictSentences(MLContext ml, ITransformer model, ClueTask task, IReadOnlyList<string> sentences)
    {
        var rows = sentences.Select((s, i) =>
        {
            var parts = s.Split(PairSeparator, 2, StringSplitOptions.TrimEntries);
            if (task.IsPair && parts.Length != 2) throw new UsageException($"--text for the pair task {task.Name} needs \"first {PairSeparator} second\": '{s}'.");
            return new ClueExample { Id = i.ToString(), Sentence1 = parts[0], Sentence2 = task.IsPair ? parts[1] : "" };
        }).ToList();
        var labels = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<string>("PredictedLabel").ToList();
        return sentences.Zip(labels);
    }
}
