using System.Text;
using System.Text.Json;
using GauMLNet.Clue;
using GauMLNet.Storage;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace GauMLNet.MLNet;

/// <summary>
/// Scores of a CLUE model over every labelled row. Rows whose label the model never saw in training count as
/// errors in every metric (their true-class probability is 0, clamped at 1e-15 for the log-loss, as ML.NET clamps).
/// </summary>
public sealed record ClueMetrics(string Task, int Rows, double Accuracy, double MacroAccuracy, double LogLoss,
    int UnseenLabelRows = 0, IReadOnlyList<string>? UnseenLabels = null);

/// <summary>
/// The ML.NET pipeline for a CLUE classification task: label text → key, a GAU classifier over
/// Sentence1 (and Sentence2 for pair tasks), predicted key → label text.
/// </summary>
public static class CluePipeline
{

    public static IDataView Load(MLContext ml, string path, ClueTask task, bool requireLabels, bool skipBadLines, Action<string>? log = null,
        Encoding? encoding = null)
    {
        var result = ClueDataReader.Read(path, task, requireLabels, skipBadLines, encoding);
        if (result.SkippedBadLines > 0) log?.Invoke($"{path}: skipped {result.SkippedBadLines} malformed line(s)");
        if (result.DroppedRows > 0) log?.Invoke($"{path}: dropped {result.DroppedRows} row(s) without an agreed label");
        if (result.Examples.Count == 0) throw new InvalidDataException($"{path} holds no {task.Name} rows.");
        return ml.Data.LoadFromEnumerable(result.Examples);
    }

    /// <summary>Refuses labels that are not the task's — another task's data — naming them and the tasks they could belong to.</summary>
    public static void CheckLabels(ClueTask task, IDataView data, string source)
    {
        if (task.KnownLabels is not { } known) return;
        var labels = data.GetColumn<string>(nameof(ClueExample.Label)).Distinct(StringComparer.Ordinal).ToList();
        var foreign = labels.Where(l => !known.Contains(l)).Order(StringComparer.Ordinal).ToList();
        if (foreign.Count == 0) return;
        var candidates = ClueTask.WithLabelsIncluding(labels).Select(t => t.Name).ToList();
        throw new InvalidDataException(
            $"{source}: {foreign.Count} label(s) are not {task.Name} labels ({string.Join(", ", known.Order(StringComparer.Ordinal))}): " +
            $"{string.Join(", ", foreign.Take(8))}{(foreign.Count > 8 ? ", …" : "")}. " +
            (candidates.Count > 0 ? $"The data looks like {string.Join(" or ", candidates)}; " : "") + "check the task and the data folder.");
    }

    /// <summary>
    /// Fits label mapping and classifier; the dev set (if any) is scored after every epoch. <paramref name="trainer"/>
    /// makes the classifier from the options, e.g. <c>o => ml.MulticlassClassification.Trainers.GauTextClassification(o)</c>.
    /// Labels that are not the task's are refused first.
    /// </summary>
    public static TransformerChain<ITransformer> Fit(MLContext ml, ClueTask task, IDataView train, IDataView? dev, GauTextClassificationOptions options,
        Func<GauTextClassificationOptions, IEstimator<GauTextClassificationTransformer>> trainer)
    {
        CheckLabels(task, train, "the training data");
        if (dev is not null) CheckLabels(task, dev, "the dev data");
        return FitClassifier(ml, task.IsPair, train, dev, options, trainer, new Dictionary<string, string> { [ClueTask.MetadataKey] = task.Name });
    }

    /// <summary>Label (text) to keys in sorted order, so classifiers trained on the same label set use the same keys.</summary>
    public static ValueToKeyMappingEstimator LabelKeys(MLContext ml) =>
        ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue);

    /// <summary>
    /// Fits label mapping and classifier over <see cref="ClueExample"/> rows of any source (a CLUE task, a user's data file):
    /// Sentence1 (and Sentence2 when <paramref name="isPair"/>), the label as text. <paramref name="metadata"/> is saved with the model.
    /// </summary>
    public static TransformerChain<ITransformer> FitClassifier(MLContext ml, bool isPair, IDataView train, IDataView? dev, GauTextClassificationOptions options,
        Func<GauTextClassificationOptions, IEstimator<GauTextClassificationTransformer>> trainer, IReadOnlyDictionary<string, string> metadata)
    {
        // Labels get keys in sorted order, so the same label set always maps to the same keys.
        var keyMap = LabelKeys(ml).Fit(train);
        var classifierOptions = options with
        {
            SentenceColumnName = nameof(ClueExample.Sentence1),
            SecondSentenceColumnName = isPair ? nameof(ClueExample.Sentence2) : null,
            LabelColumnName = "Label",
            ValidationSet = dev is null ? null : keyMap.Transform(dev),
            Metadata = (options.Metadata ?? new Dictionary<string, string>()).Concat(metadata).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value),
        };
        var classifier = trainer(classifierOptions).Fit(keyMap.Transform(train));
        var keyToValue = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(classifier.Transform(keyMap.Transform(train)));
        return new TransformerChain<ITransformer>(keyMap, classifier, keyToValue);
    }

    /// <summary>
    /// Accuracy, macro accuracy and log-loss over every labelled row. A model of another task (by its recorded task,
    /// its sentence-pair shape, or a label set disjoint from the data's) is an error; rows with labels the model
    /// never saw count as errors and are reported through <paramref name="log"/>.
    /// </summary>
    public static ClueMetrics Evaluate(ClueTask task, ITransformer model, IDataView labelled, Action<string>? log = null) =>
        EvaluateClassifier(task.Name, Classifier(model, task), model, labelled, log);

    /// <summary>
    /// <see cref="Evaluate(ClueTask, ITransformer, IDataView, Action{string})"/> for rows of any source; <paramref name="name"/> names them
    /// in the metrics, <paramref name="gau"/> is the classifier inside <paramref name="model"/>.
    /// </summary>
    public static ClueMetrics EvaluateClassifier(string name, GauTextClassificationTransformer gau, ITransformer model, IDataView labelled, Action<string>? log = null) =>
        Evaluate(name, gau.Model.Spec.Labels?.Values ?? [], gau.Model.Spec.OutputColumns[0], model, labelled, log);

    /// <summary>
    /// <see cref="Evaluate(ClueTask, ITransformer, IDataView, Action{string})"/> for a CLUE task's model of any kind: with a GAU
    /// classifier inside, checked against the task as there; otherwise (character n-grams, a hybrid — what <c>gau auto</c> may
    /// choose) a chain whose Score column names its classes (slot names) and whose PredictedLabel is text.
    /// </summary>
    public static ClueMetrics EvaluateAny(ClueTask task, ITransformer model, IDataView labelled, Action<string>? log = null)
    {
        if (ClassifierOrNull(model, task) is { } gau) return EvaluateClassifier(task.Name, gau, model, labelled, log);
        return Evaluate(task.Name, ScoreSlotNames(model, labelled.Schema), "Score", model, labelled, log);
    }

    /// <summary>The class names of a chain without a GAU classifier: the slot names of its Score column.</summary>
    public static string[] ScoreSlotNames(ITransformer model, DataViewSchema inputSchema)
    {
        var schema = model.GetOutputSchema(inputSchema);
        if (schema.GetColumnOrNull("Score") is not { } score || schema.GetColumnOrNull("PredictedLabel") is not { } predicted || predicted.Type.RawType != typeof(ReadOnlyMemory<char>))
            throw new InvalidDataException("the model is not a classifier: it has no GAU text classifier, nor a Score column and a text PredictedLabel.");
        if (!score.HasSlotNames()) throw new InvalidDataException("the model's Score column does not name its classes (no slot names).");
        VBuffer<ReadOnlyMemory<char>> names = default;
        score.GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    private static ClueMetrics Evaluate(string name, string[] modelLabels, string scoreColumn, ITransformer model, IDataView labelled, Action<string>? log)
    {
        var dataLabels = labelled.GetColumn<string>(nameof(ClueExample.Label)).ToList();
        if (modelLabels.Length > 0 && !dataLabels.Any(modelLabels.Contains))
            throw new InvalidDataException(
                $"the model's labels ({string.Join(", ", modelLabels.Take(8))}) and the data's ({string.Join(", ", dataLabels.Distinct().Order(StringComparer.Ordinal).Take(8))}) " +
                "have nothing in common: is this another task's data or model?");

        var scored = model.Transform(labelled);
        var truth = dataLabels; // the scored view's Label is the model's key: read the text from the input, same row order
        var (predicted, scores) = ReadPredictions(scored, scoreColumn);
        var index = modelLabels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        int correct = 0;
        double logLoss = 0;
        var perClass = new Dictionary<string, (int Rows, int Correct)>(StringComparer.Ordinal);
        for (int i = 0; i < truth.Count; i++)
        {
            bool right = truth[i] == predicted[i];
            if (right) correct++;
            double p = index.TryGetValue(truth[i], out int k) ? scores[i][k] : 0.0;
            logLoss -= Math.Log(Math.Max(p, 1e-15));
            var (rows, hits) = perClass.GetValueOrDefault(truth[i]);
            perClass[truth[i]] = (rows + 1, hits + (right ? 1 : 0));
        }
        var unseen = perClass.Keys.Where(l => !index.ContainsKey(l)).Order(StringComparer.Ordinal).ToList();
        int unseenRows = unseen.Sum(l => perClass[l].Rows);
        if (unseenRows > 0)
            log?.Invoke($"warning: {unseenRows} of {truth.Count} row(s) carry label(s) the model never saw in training ({string.Join(", ", unseen)}); they count as errors.");
        return new ClueMetrics(name, truth.Count, truth.Count == 0 ? 0 : (double)correct / truth.Count,
            perClass.Count == 0 ? 0 : perClass.Values.Average(c => (double)c.Correct / c.Rows), truth.Count == 0 ? 0 : logLoss / truth.Count, unseenRows, unseen);
    }

    // One pass over the scored view: every GetColumn would score all rows again (and count them again).
    internal static (List<string> Predicted, List<float[]> Scores) ReadPredictions(IDataView scored, string scoreColumnName)
    {
        var predictedColumn = scored.Schema["PredictedLabel"];
        var scoreColumn = scored.Schema[scoreColumnName];
        var predicted = new List<string>();
        var scores = new List<float[]>();
        using var cursor = scored.GetRowCursor([predictedColumn, scoreColumn]);
        var getPredicted = cursor.GetGetter<ReadOnlyMemory<char>>(predictedColumn);
        var getScore = cursor.GetGetter<VBuffer<float>>(scoreColumn);
        ReadOnlyMemory<char> label = default;
        VBuffer<float> score = default;
        while (cursor.MoveNext())
        {
            getPredicted(ref label);
            getScore(ref score);
            predicted.Add(label.ToString());
            scores.Add(score.DenseValues().ToArray());
        }
        return (predicted, scores);
    }

    /// <summary>The GAU text classifier inside a model, checked against the task it is asked to do.</summary>
    public static GauTextClassificationTransformer Classifier(ITransformer model, ClueTask task) =>
        ClassifierOrNull(model, task) ?? throw new InvalidDataException("the model holds no GAU text classifier.");

    /// <summary><see cref="Classifier"/>, or null for a chain without one (n-grams, a hybrid of embeddings and n-grams).</summary>
    public static GauTextClassificationTransformer? ClassifierOrNull(ITransformer model, ClueTask task)
    {
        var classifier = GauTransformers(model).OfType<GauTextClassificationTransformer>().FirstOrDefault();
        if (classifier is not null) CheckModelFits(task, classifier);
        return classifier;
    }

    /// <summary>Refuses a model trained for another CLUE task or for the other sentence shape (single vs pair).</summary>
    public static void CheckModelFits(ClueTask task, GauTextClassificationTransformer model)
    {
        if (model.Model.Spec.Metadata?.GetValueOrDefault(ClueTask.MetadataKey) is { } trainedFor && !string.Equals(trainedFor, task.Name, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"the model was trained for {trainedFor}, not {task.Name}.");
        bool pairModel = model.Model.Spec.TextColumns.Length == 2;
        if (pairModel != task.IsPair)
            throw new InvalidDataException($"the model classifies {(pairModel ? "sentence pairs" : "single sentences")}, but {task.Name} rows are {(task.IsPair ? "sentence pairs" : "single sentences")}.");
    }

    /// <summary>The GAU transformers in a model (a transformer chain or one transformer).</summary>
    public static IEnumerable<GauTransformerBase> GauTransformers(ITransformer model) => model switch
    {
        GauTransformerBase gau => [gau],
        IEnumerable<ITransformer> chain => chain.SelectMany(GauTransformers),
        _ => [],
    };

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
