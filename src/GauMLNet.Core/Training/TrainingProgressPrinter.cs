using System.Globalization;

namespace GauMLNet.Training;

/// <summary>
/// Prints training progress as plain lines, for console apps and samples (the gau CLI draws its own bar): a line at most
/// every <paramref name="interval"/> (5 s by default), one when each epoch ends, and one per validation pass.
/// Use it as the estimator options' <c>Progress</c>.
/// </summary>
public sealed class TrainingProgressPrinter(TextWriter writer, TimeSpan? interval = null) : IProgress<TrainingProgress>
{
    private readonly TimeSpan _interval = interval ?? TimeSpan.FromSeconds(5);
    private readonly object _gate = new();
    private TimeSpan _lastPrinted = TimeSpan.Zero;

    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            if (value.ValidationMetric is double metric)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {value.Epoch}/{value.Epochs}: validation {value.ValidationMetricName ?? "metric"} {metric:F4}"));
                return;
            }
            long perEpoch = value.Epochs > 0 ? Math.Max(1, value.TotalSteps / value.Epochs) : value.TotalSteps;
            bool epochEnd = value.Step == value.TotalSteps || value.Step % perEpoch == 0;
            if (!epochEnd && value.Elapsed - _lastPrinted < _interval) return;
            _lastPrinted = value.Elapsed;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {value.Epoch}/{value.Epochs} step {value.Step}/{value.TotalSteps} loss {value.Loss:F4} {value.RowsPerSecond:F0} rows/s, " +
                $"{Clock(value.Elapsed)} elapsed, ~{Clock(value.EstimatedRemaining)} left"));
        }
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
