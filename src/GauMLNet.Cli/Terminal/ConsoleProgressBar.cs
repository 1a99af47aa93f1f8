using GauMLNet.TorchSharp.Training.Pretraining;
using GauMLNet.Training;

namespace GauMLNet.Cli.Terminal;

/// <summary>
/// Progress for a terminal: one live line (bar, position, loss, speed, ETA) redrawn in place, and
/// permanent lines for events such as a validation score. When output is redirected, a line every 10%.
/// </summary>
internal sealed class ConsoleProgressBar(TextWriter output, bool interactive) : IProgress<TrainingProgress>, IProgress<PretrainingProgress>
{
    private const int Width = 24;

    /// <summary>Redraws in place when writing to an interactive console, else prints every 10%.</summary>
    public static ConsoleProgressBar For(TextWriter output) =>
        new(output, ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected);
    private int _lastDecile = -1;
    private bool _lineOpen;

    public void Report(TrainingProgress p)
    {
        if (p.ValidationMetric is { } metric)
        {
            Line($"epoch {p.Epoch}/{p.Epochs}: dev {p.ValidationMetricName} {metric:P2}");
            return;
        }
        Update(p.Fraction, $"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} {p.RowsPerSecond:F1} rows/s ETA {p.EstimatedRemaining:hh\\:mm\\:ss}");
    }

    public void Report(PretrainingProgress p) =>
        Update((double)p.Step / p.Steps, $"step {p.Step}/{p.Steps} loss {p.Loss:F4} masked acc {p.MaskedAccuracy:P1} {p.TokensPerSecond:F0} tokens/s ETA {p.EstimatedRemaining:hh\\:mm\\:ss}");

    /// <summary>Progress of anything else (e.g. scoring a file): a fraction done and what to show beside the bar.</summary>
    public void Report(double fraction, string details) => Update(fraction, details);

    public void Line(string text)
    {
        EndLine();
        output.WriteLine(text);
    }

    public void EndLine()
    {
        if (!_lineOpen) return;
        output.WriteLine();
        _lineOpen = false;
    }

    private void Update(double fraction, string details)
    {
        string line = $"[{Bar(fraction)}] {details}";
        if (interactive)
        {
            output.Write("\r" + line.PadRight(110));
            _lineOpen = true;
            return;
        }
        int decile = (int)(fraction * 10);
        if (decile == _lastDecile) return;
        _lastDecile = decile;
        output.WriteLine(line);
    }

    private static string Bar(double fraction)
    {
        int filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * Width);
        return new string('#', filled) + new string('-', Width - filled);
    }
}
