using GauMLNet.Evaluation;
using GauMLNet.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Tabular;

/// <summary>How well a similarity model's scores follow the labels over every row: Pearson r, Spearman ρ, mean squared error.</summary>
public sealed record SimilarityMetrics(int Rows, double Pearson, double Spearman, double MeanSquaredError)
{
    /// <summary>Scores <paramref name="labelled"/> (rows of <see cref="SimilarityExample"/>) in one pass and compares with the labels.</summary>
    public static SimilarityMetrics Evaluate(ITransformer model, GauSentenceSimilarityTransformer gau, IDataView labelled)
    {
        var truth = labelled.GetColumn<float>(nameof(SimilarityExample.Label)).Select(v => (double)v).ToArray();
        var scored = model.Transform(labelled);
        var column = scored.Schema[gau.Model.Spec.OutputColumns[0]];
        var predicted = new List<double>(truth.Length);
        using (var cursor = scored.GetRowCursor([column]))
        {
            var get = cursor.GetGetter<float>(column);
            float value = 0;
            while (cursor.MoveNext())
            {
                get(ref value);
                predicted.Add(value);
            }
        }
        var p = predicted.ToArray();
        double mse = truth.Length == 0 ? 0 : truth.Zip(p, (t, s) => (t - s) * (t - s)).Average();
        return new SimilarityMetrics(truth.Length, TaskMetrics.Pearson(p, truth), TaskMetrics.Pearson(Ranks(p), Ranks(truth)), mse);
    }

    // Ranks with ties given their average rank, so Pearson over ranks is Spearman's ρ.
    private static double[] Ranks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            for (int k = start; k <= end; k++) ranks[order[k]] = (start + end) / 2.0 + 1;
            start = end + 1;
        }
        return ranks;
    }
}
