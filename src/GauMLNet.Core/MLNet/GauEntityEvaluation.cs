using GauMLNet.Entities;
using Microsoft.ML;

namespace GauMLNet.MLNet;

/// <summary><c>mlContext.MulticlassClassification.EvaluateEntities(scored)</c>: entity-level scores of a scored data view, like ML.NET's Evaluate.</summary>
public static class GauEntityEvaluation
{
    /// <summary>
    /// Exact-match (type, start, end) precision, recall and F1 — micro and macro over types, and per type — over every
    /// row. The label column is either form (per-character tag keys, or CLUENER label JSON); predictions are the
    /// transformer's PredictedEntities column.
    /// </summary>
    public static EntityMetrics EvaluateEntities(this MulticlassClassificationCatalog catalog, IDataView scored,
        string labelColumnName = GauTrainerOptionsBase.DefaultLabelColumn, string predictedEntitiesColumnName = "PredictedEntities", string sentenceColumnName = "Sentence")
    {
        InputColumns.RequireText(scored.Schema, [sentenceColumnName, predictedEntitiesColumnName], nameof(EvaluateEntities));
        var label = scored.Schema.GetColumnOrNull(labelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(labelColumnName), $"{nameof(EvaluateEntities)}: label column '{labelColumnName}' was not found.");
        var tagNames = EntityLabels.TagNames(label, nameof(EvaluateEntities));
        var predictedColumn = scored.Schema[predictedEntitiesColumnName];
        using var cursor = scored.GetRowCursor([scored.Schema[sentenceColumnName], label, predictedColumn]);
        var readText = InputColumns.TextReader(cursor, [sentenceColumnName]);
        var readGold = EntityLabels.Reader(cursor, label, tagNames);
        var readPredicted = EntityLabels.Reader(cursor, predictedColumn, tagNames: null);
        var gold = new List<IReadOnlyCollection<Entity>>();
        var predicted = new List<IReadOnlyCollection<Entity>>();
        while (cursor.MoveNext())
        {
            string text = readText()[0] ?? "";
            gold.Add(readGold(text));
            predicted.Add(readPredicted(text));
        }
        return EntityMetrics.Evaluate(gold, predicted);
    }
}
