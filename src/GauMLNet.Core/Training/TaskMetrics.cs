using GauMLNet.Tasks;

namespace GauMLNet.Training;

/// <summary>The validation metric of each trainable task: accuracy for classification, Pearson r for regression.</summary>
public static class TaskMetrics
{
    public static string NameOf(GauTask task) => task switch
    {
        GauTask.Classification => "accuracy",
        GauTask.Regression => "pearson",
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "This task is not trained."),
    };

    /// <summary>The metric over every row: outputs are the engine's raw outputs (logits or scores), in row order.</summary>
    public static double Compute(GauTask task, IReadOnlyList<float[]> outputs, IReadOnlyList<LabeledExample> rows) => task switch
    {
        GauTask.Classification => rows.Select((r, i) => GauTaskModel.ArgMax(outputs[i]) == (int)r.Label ? 1.0 : 0.0).Average(),
        GauTask.Regression => Pearson(outputs.Select(o => (double)o[0]).ToArray(), rows.Select(r => (double)r.Label).ToArray()),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "This task is not trained."),
    };

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
