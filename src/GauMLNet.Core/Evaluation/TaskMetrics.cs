using GauMLNet.Entities;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using GauMLNet.Training;

namespace GauMLNet.Evaluation;

/// <summary>The validation metric of each trainable task: accuracy for classification, Pearson r for regression.</summary>
internal static class TaskMetrics
{
    public static string NameOf(GauTask task) => task switch
    {
        GauTask.Classification => "accuracy",
        GauTask.Regression => "pearson",
        GauTask.TokenClassification => "entity F1",
        GauTask.QuestionAnswering => "F1",
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "This task is not trained."),
    };

    /// <summary>
    /// The metric over every row: outputs are the engine's raw outputs (logits or scores), in row order. Token
    /// classification: entity micro-F1 over the rows' windows, decoded with <paramref name="entityDecoder"/>.
    /// </summary>
    public static double Compute(GauTask task, IReadOnlyList<float[]> outputs, IReadOnlyList<LabeledExample> rows, EntityDecoder? entityDecoder = null) => task switch
    {
        GauTask.Classification => rows.Select((r, i) => GauTaskModel.ArgMax(outputs[i]) == (int)r.Label ? 1.0 : 0.0).Average(),
        GauTask.Regression => Pearson(outputs.Select(o => (double)o[0]).ToArray(), rows.Select(r => (double)r.Label).ToArray()),
        GauTask.TokenClassification => EntityF1(outputs, rows, entityDecoder ?? throw new ArgumentNullException(nameof(entityDecoder))),
        GauTask.QuestionAnswering => throw new InvalidOperationException("Question answering is scored per question over all its windows: the caller supplies that metric."),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "This task is not trained."),
    };

    // Spans in token coordinates: a window's tokens stand for characters 0..n-1.
    private static double EntityF1(IReadOnlyList<float[]> outputs, IReadOnlyList<LabeledExample> rows, EntityDecoder decoder)
    {
        var gold = new List<IReadOnlyCollection<Entity>>(rows.Count);
        var predicted = new List<IReadOnlyCollection<Entity>>(rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var targets = rows[i].Tokens ?? throw new InvalidOperationException("A token-classification row has no token targets.");
            var view = AlignedTextView.TokensOnly(targets.Tags.Length);
            gold.Add(targets.Spans.Select(s => view.EntityOf(decoder.Tags.Types[s.Type], s.First, s.Last)).ToList());
            predicted.Add(decoder.Decode(view, outputs[i]));
        }
        return EntityMetrics.Evaluate(gold, predicted).MicroF1;
    }

    public static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }
}
