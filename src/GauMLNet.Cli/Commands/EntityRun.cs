using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Cli.Terminal;
using GauMLNet.Clue;
using GauMLNet.Configuration;
using GauMLNet.Entities;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>The CLUENER task of `gau train`, `gau evaluate` and `gau predict`: named entities, entity-level F1.</summary>
internal static class EntityRun
{
    public const string TaskName = "cluener";

    public static bool IsEntityTask(string task) => string.Equals(task.Trim(), TaskName, StringComparison.OrdinalIgnoreCase);

    /// <summary>crf, softmax or global-pointer.</summary>
    public static EntityHead ParseHead(string value) => value.Trim().ToLowerInvariant() switch
    {
        "crf" => EntityHead.Crf,
        "softmax" => EntityHead.Softmax,
        "global-pointer" or "globalpointer" or "gp" => EntityHead.GlobalPointer,
        _ => throw new UsageException($"--head: '{value}' is not an entity head; use crf, softmax or global-pointer."),
    };

    private sealed class Row
    {
        public string Sentence { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private static IDataView Load(MLContext ml, IReadOnlyList<NerExample> rows) =>
        ml.Data.LoadFromEnumerable(rows.Select(r => new Row { Sentence = r.Text, Label = ClueNerData.Label(r.Text, r.Entities).ToJsonString() }));

    public static int Train(TrainingRun.Settings s, EntityHead head, TextWriter output)
    {
        var @checked = TrainingRun.CheckArguments(s, minimumMaxLength: 3);
        var (encoding, checkpoints) = (@checked.Encoding, @checked.Checkpoints);
        var ml = new MLContext(seed: s.Seed);
        var progress = ConsoleProgressBar.For(output);
        string trainPath = ClueDataFolder.Require(s.DataDirectory, ClueDataFolder.Split.Train);
        string? devPath = ClueDataFolder.Find(s.DataDirectory, ClueDataFolder.Split.Dev);
        var trainRows = ClueNerData.Read(trainPath, requireLabels: true, encoding);
        var devRows = devPath is null ? null : ClueNerData.Read(devPath, requireLabels: true, encoding);
        var train = Load(ml, trainRows);
        var dev = devRows is null ? null : Load(ml, devRows);
        output.WriteLine($"{TaskName}: {trainRows.Count} training sentences, {devRows?.Count ?? 0} dev sentences; " +
                         (s.ModelDirectory is null ? $"training a {s.ConfigName} GAU-α with a {head} head from scratch" : $"fine-tuning {s.ModelDirectory} with a {head} head"));

        using var stop = new StopSignals();
        var options = TrainingRun.Configure(new GauNamedEntityRecognitionOptions
        {
            Head = head,
            ValidationSet = dev,
            Metadata = new Dictionary<string, string> { [ClueTask.MetadataKey] = TaskName },
        }, s, @checked, progress, stop, trainPath, devPath);
        double sentencesPerSecond = double.NaN;
        return TrainingRun.FitAndReport(s, @checked, ml, train.Schema, stop, progress, output, options.LearningRate, () =>
        {
            var model = ml.MulticlassClassification.Trainers.GauNamedEntityRecognition(options).Fit(train);
            return new TrainingRun.Fitted(model, model.TrainingResult!);
        }, model =>
        {
            if (dev is null) return TrainingRun.Dev.None;
            var scoring = System.Diagnostics.Stopwatch.StartNew();
            var metrics = ml.MulticlassClassification.EvaluateEntities(model.Transform(dev));
            sentencesPerSecond = metrics.Sentences / scoring.Elapsed.TotalSeconds;
            var lines = new StringWriter();
            Print(lines, metrics, "dev");
            return new TrainingRun.Dev(metrics, lines.ToString().TrimEnd());
        }, fitted => new()
        {
            ["task"] = TaskName,
            ["head"] = head.ToString(),
            ["training_sentences_per_second"] = Math.Round(fitted.Result.TrainingRowsPerSecond, 1),
            ["dev_sentences_per_second"] = Math.Round(sentencesPerSecond, 1),
            ["dev_f1_per_epoch"] = fitted.Result.ValidationMetrics,
        }, new TrainingRun.Curve($"GAU-α ({head}) on {TaskName}", "entity F1", "windows"));
    }

    /// <summary>gau evaluate --task cluener: entity-level scores with the per-type table.</summary>
    public static int Evaluate(string modelPath, string dataPath, System.Text.Encoding encoding, string? jsonPath, string? scoresPath, TextWriter output)
    {
        var ml = new MLContext();
        var recognizer = Recognizer(ml, modelPath, out var model);
        var rows = ClueNerData.Read(dataPath, requireLabels: true, encoding);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var metrics = ml.MulticlassClassification.EvaluateEntities(model.Transform(Load(ml, rows)));
        output.WriteLine($"{TaskName} {Path.GetFileName(dataPath)}: scored {metrics.Sentences} sentences in {clock.Elapsed.TotalSeconds:F2} s " +
                         $"({metrics.Sentences / clock.Elapsed.TotalSeconds:F0} sentences/s) with {recognizer.Model.Engine.Description}");
        Print(output, metrics, Path.GetFileName(dataPath));
        if (jsonPath is not null) AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
        if (scoresPath is not null) WriteRawScores(recognizer, rows, scoresPath);
        return 0;
    }

    // Every window's token ids and the head's raw output (tag scores [n, tags] or GlobalPointer [types, n, n], n the
    // padded length of its batch), for comparisons with other implementations (interop/pytorch/parity.py).
    private static void WriteRawScores(GauNamedEntityRecognitionTransformer recognizer, IReadOnlyList<NerExample> rows, string path)
    {
        var model = recognizer.Model;
        var tokenizer = new CharacterTokenizer(model.Tokenizer);
        var windows = rows.SelectMany(r => EntityWindows.Split(tokenizer.Encode(r.Text), model.Spec.MaxLength).Select((w, i) => (r.Id, Window: i, w))).ToList();
        var encoded = windows.Select(w => EntityWindows.Encode(w.w, model.Tokenizer)).ToArray();
        var outputs = model.Run(encoded);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            for (int k = 0; k < windows.Count; k++)
                writer.WriteLine(JsonSerializer.Serialize(new { id = windows[k].Id, window = windows[k].Window, input_ids = encoded[k].Ids, outputs = outputs[k] }));
        });
    }

    /// <summary>gau predict --task cluener: the submission file for a test split, or the entities of sentences given inline.</summary>
    public static int Predict(string modelPath, string? folder, IReadOnlyList<string> sentences, string outputDirectory, System.Text.Encoding encoding, TextWriter output)
    {
        var ml = new MLContext();
        var recognizer = Recognizer(ml, modelPath, out _);
        if (folder is null)
        {
            var found = recognizer.Recognize(sentences);
            for (int i = 0; i < sentences.Count; i++)
            {
                output.WriteLine(sentences[i]);
                foreach (var e in found[i]) output.WriteLine($"  {e.Type}\t{e.Start}\t{e.End}\t{e.TextIn(sentences[i])}");
                if (found[i].Count == 0) output.WriteLine("  (no entities)");
            }
            return 0;
        }
        var rows = ClueNerData.Read(ClueDataFolder.Require(folder, ClueDataFolder.Split.Test), requireLabels: false, encoding);
        var predicted = recognizer.Recognize(rows.Select(r => r.Text).ToList());
        string path = Path.Combine(outputDirectory, ClueNerData.SubmissionFile);
        ClueNerData.WriteSubmission(path, rows, predicted);
        output.WriteLine($"wrote {rows.Count} predictions to {path}");
        return 0;
    }

    private static GauNamedEntityRecognitionTransformer Recognizer(MLContext ml, string modelPath, out ITransformer model)
    {
        model = TrainingRun.LoadModel(ml, modelPath);
        return CluePipeline.GauTransformers(model).OfType<GauNamedEntityRecognitionTransformer>().FirstOrDefault()
            ?? throw new InvalidDataException($"--model: {modelPath} holds no entity recognizer (train one with gau train --task cluener).");
    }

    private static void Print(TextWriter output, EntityMetrics metrics, string split)
    {
        output.WriteLine($"{split} entity F1 {metrics.MicroF1:P2} micro (P {metrics.MicroPrecision:P2}, R {metrics.MicroRecall:P2}), {metrics.MacroF1:P2} macro over {metrics.Sentences} sentences");
        output.WriteLine($"  {"type",-14}{"gold",6}{"pred",6}{"P",9}{"R",9}{"F1",9}");
        foreach (var t in metrics.PerType)
            output.WriteLine($"  {t.Type,-14}{t.Gold,6}{t.Predicted,6}{t.Precision,9:P1}{t.Recall,9:P1}{t.F1,9:P1}");
    }
}
