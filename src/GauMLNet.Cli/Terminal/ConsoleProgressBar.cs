using GauMLNet.Training;

namespace GauMLNet.Cli.Terminal;

/// <summary>
/// Training progress for a terminal: one live line (bar, epoch, step, loss, rows/s, ETA) redrawn in place,
/// and a permanent line per validation. When output is redirected, a line every 10% instead.
/// </summary>
internal sealed class ConsoleProgressBar(TextWriter output, bool interactive) : IProgress<TrainingProgress>
{
    private const int Width = 24;
    private int _lastDecile = -1;
    private bool _lineOpen;

    public void Report(TrainingProgress p)
    {
        if (p.ValidationMetric is { } metric)
        {
            EndLine();
            output.WriteLine($"epoch {p.Epoch}/{p.Epochs}: dev {p.ValidationMetricName} {metric:P2}");
            return;
        }
        string line = $"[{Bar(p.Fraction)}] epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} " +
                      $"{p.RowsPerSecond:F1} rows/s ETA {p.EstimatedRemaining:hh\\:mm\\:ss}";
        if (interactive)
        {
            output.Write("\r" + line.PadRight(100));
            _lineOpen = true;
        }
        else
        {
            int decile = (int)(p.Fraction * 10);
            if (decile == _lastDecile) return;
            _lastDecile = decile;
            output.WriteLine(line);
        }
    }

    public void EndLine()
    {
        if (!_lineOpen) return;
        output.WriteLine();
        _lineOpen = false;
    }

    private static string Bar(double fraction)
    {
        int filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * Width);
        return new string('#', filled) + new string('-', Width - filled);
    }
}
