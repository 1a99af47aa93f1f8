using System.Text.Json;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace GauMLNet.Clue;

/// <summary>Dev-set scores of a CLUE model.</summary>
public sealed record ClueMetrics(string Task, int Rows, double Accuracy, double MacroAccuracy, double LogLoss);

/// <summary>
/// The ML.NET pipeline for a CLUE classification task: label text → key, a GAU classifier over
/// Sentence1 (and Sentence2 for pair tasks), predicted key → label text.
/// </summary>
public static class CluePipeline
{
    public static IDataView Load(MLContext ml, string path, ClueTask task, bool requireLabels, bool skipBadLines, Action<string>? log = null)
    {
        var result = ClueDataReader.Read(path, task, requireLabels, skipBadLines);
        if (result.SkippedBadLines > 0) log?.Invoke($"{path}: skipped {result.SkippedBadLines} malformed line(s)");
        if (result.DroppedRows > 0) log?.Invoke($"{path}: dropped {result.DroppedRows} row(s) without an agreed label");
        if (result.Examples.Count == 0) throw new InvalidDataException($"{path} holds no {task.Name} rows.");
        return ml.Data.LoadFromEnumerable(result.Examples);
    }

    /// <summary>
    /// Fits label mapping and classifier; the dev set (if any) is scored after every epoch. <paramref name="trainer"/>
    /// makes the classifier from the options, e.g. <c>o => ml.MulticlassClassification.Trainers.GauTextClassification(o)</c>.
    /// </summary>
    public static TransformerChain<ITransformer> Fit(MLContext ml, ClueTask task, IDataView train, IDataView? dev, GauTextClassificationOptions options,
        Func<GauTextClassificationOptions, IEstimator<GauTextClassificationTransformer>> trainer)
    {
        // Labels get keys in sorted order, so the same label set always maps to the same keys.
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(train);
        var classifierOptions = options with
        {
            SentenceColumnName = nameof(ClueExample.Sentence1),
            SecondSentenceColumnName = task.IsPair ? nameof(ClueExample.Sentence2) : null,
            LabelColumnName = "Label",
            ValidationSet = dev is null ? null : keyMap.Transform(dev),
        };
        var classifier = trainer(classifierOptions).Fit(keyMap.Transform(train));
        var keyToValue = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(classifier.Transform(keyMap.Transform(train)));
        return new TransformerChain<ITransformer>(keyMap, classifier, keyToValue);
    }

    public static ClueMetrics Evaluate(MLContext ml, ClueTask task, ITransformer model, IDataView labelled)
    {
        var scored = model.Transform(labelled);
        var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "Label");
        int rows = (int)(labelled.GetRowCount() ?? scored.GetColumn<string>("Id").LongCount());
        return new ClueMetrics(task.Name, rows, metrics.MicroAccuracy, metrics.MacroAccuracy, metrics.LogLoss);
    }

    /// <summary>Writes the CLUE submission file: one {"id": …, "label": "…"} per line, in input order.</summary>
    public static int WriteSubmission(ITransformer model, IDataView test, string path)
    {
        var scored = model.Transform(test);
        var ids = scored.GetColumn<string>(nameof(ClueExample.Id)).ToList();
        var labels = scored.GetColumn<string>("PredictedLabel").ToList();
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            for (int i = 0; i < ids.Count; i++)
            {
                object id = long.TryParse(ids[i], out long numeric) ? numeric : ids[i];
                writer.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = id, ["label"] = labels[i] }));
            }
        });
        return ids.Count;
    }
}
