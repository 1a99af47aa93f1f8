using GauMLNet.Training;
using ScottPlot;

namespace GauMLNet.Cli.Terminal;

/// <summary>Training curves as PNGs: a per-step loss on the left axis and a second series on the right.</summary>
internal static class TrainingCurvePlot
{
    /// <summary>Fine-tuning: loss per step and the dev metric after each epoch.</summary>
    public static void Save(string path, FineTuningResult result, string title, string metricName)
    {
        double stepsPerEpoch = (double)result.StepLosses.Count / Math.Max(1, result.EpochsRun);
        var epochEnds = Enumerable.Range(1, result.ValidationMetrics.Count).Select(e => e * stepsPerEpoch).ToArray();
        Save(path, title, result.StepLosses, $"dev {metricName}", epochEnds, [.. result.ValidationMetrics], markers: true);
    }

    /// <summary>One series of points, e.g. a sweep's metric per trial.</summary>
    public static void SavePoints(string path, string title, string xLabel, string yLabel, double[] xs, double[] ys)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        var points = plot.Add.Scatter(xs, ys);
        points.LineWidth = 0;
        points.MarkerSize = 9;
        Write(plot, path);
    }

    public static void Save(string path, string title, IReadOnlyList<double> losses, string rightName, double[] rightSteps, double[] rightValues, bool markers)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("optimizer step");
        var steps = Enumerable.Range(1, losses.Count).Select(i => (double)i).ToArray();
        var loss = plot.Add.Scatter(steps, losses.ToArray());
        loss.LegendText = "training loss";
        loss.MarkerSize = 0;
        plot.Axes.Left.Label.Text = "loss";
        if (rightValues.Length > 0)
        {
            var right = plot.Add.Scatter(rightSteps, rightValues);
            right.LegendText = rightName;
            right.Axes.YAxis = plot.Axes.Right;
            right.MarkerSize = markers ? 8 : 0;
            plot.Axes.Right.Label.Text = rightName;
        }
        plot.ShowLegend();
        Write(plot, path);
    }

    private static void Write(Plot plot, string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp.png";
        plot.SavePng(temp, 900, 500);
        File.Move(temp, full, overwrite: true);
    }
}
