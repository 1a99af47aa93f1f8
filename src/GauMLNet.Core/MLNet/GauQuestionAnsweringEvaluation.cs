using GauMLNet.Evaluation;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary><c>mlContext.MulticlassClassification.EvaluateQuestionAnswering(scored)</c>: CMRC 2018's EM and F1 of a scored data view.</summary>
public static class GauQuestionAnsweringEvaluation
{
    /// <summary>
    /// EM, F1 and their average (CMRC 2018's definitions, <see cref="Cmrc2018Metric"/>) of each row's best answer (the first
    /// of the Answer vector; a row without one scores 0) against its TrainingAnswer, over every row.
    /// </summary>
    public static QuestionAnsweringMetrics EvaluateQuestionAnswering(this MulticlassClassificationCatalog catalog, IDataView scored,
        string trainingAnswerColumnName = "TrainingAnswer", string predictedAnswerColumnName = "Answer")
    {
        InputColumns.RequireText(scored.Schema, [trainingAnswerColumnName], nameof(EvaluateQuestionAnswering));
        var predicted = scored.Schema.GetColumnOrNull(predictedAnswerColumnName) is { Type: VectorDataViewType { ItemType: TextDataViewType } } column ? column
            : throw new ArgumentOutOfRangeException(nameof(predictedAnswerColumnName), $"{nameof(EvaluateQuestionAnswering)}: '{predictedAnswerColumnName}' is not a text vector column of answers.");
        using var cursor = scored.GetRowCursor([scored.Schema[trainingAnswerColumnName], predicted]);
        var readGold = InputColumns.TextReader(cursor, [trainingAnswerColumnName]);
        var readAnswers = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(predicted);
        var gold = new Dictionary<string, IReadOnlyList<string>>();
        var predictions = new Dictionary<string, string>();
        VBuffer<ReadOnlyMemory<char>> answers = default;
        while (cursor.MoveNext())
        {
            string id = gold.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            gold[id] = [readGold()[0] ?? ""];
            readAnswers(ref answers);
            if (answers.Length > 0) predictions[id] = answers.GetItemOrDefault(0).ToString();
        }
        return Cmrc2018Metric.Score(predictions, gold);
    }
}
