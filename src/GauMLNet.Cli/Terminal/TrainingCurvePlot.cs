using GauMLNet.Training;
using ScottPlot;

namespace GauMLNet.Cli.Terminal;

/// <summary>The training curve as a PNG: loss per step (left axis) and the dev metric after each epoch (right axis).</summary>
internal static class TrainingCurvePlot
{
    public static void Save(string path, FineTuningResult result, string title, string metricName)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("optimizer step");
        var steps = Enumerable.Range(1, result.StepLosses.Count).Select(i => (double)i).ToArray();
        var loss = plot.Add.Scatter(steps, result.StepLosses.ToArray());
        loss.LegendText = "training loss";
        loss.MarkerSize = 0;
        plot.Axes.Left.Label.Text = "loss";
        if (result.ValidationMetrics.Count > 0)
        {
            double stepsPerEpoch = (double)result.StepLosses.Count / result.EpochsRun;
            var epochEnds = Enumerable.Range(1, result.ValidationMetrics.Count).Select(e => e * stepsPerEpoch).ToArray();
            var metric = plot.Add.Scatter(epochEnds, result.ValidationMetrics.ToArray());
            metric.LegendText = $"dev {metricName}";
            metric.Axes.YAxis = plot.Axes.Right;
            metric.MarkerSize = 8;
            plot.Axes.Right.Label.Text = $"dev {metricName}";
        }
        plot.ShowLegend();
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + ".tmp.png";
        plot.SavePng(temp, 900, 500);
        File.Move(temp, full, overwrite: true);
    }
}
