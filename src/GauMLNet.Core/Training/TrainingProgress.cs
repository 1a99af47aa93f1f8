namespace GauMLNet.Training;

/// <summary>Reported after every optimizer step and after every validation pass.</summary>
/// <param name="ValidationMetric">set on the report that closes an epoch when a validation set was given</param>
public sealed record TrainingProgress(
    int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double RowsPerSecond, TimeSpan Elapsed,
    double? ValidationMetric = null, string? ValidationMetricName = null)
{
    public double Fraction => TotalSteps == 0 ? 1 : (double)Step / TotalSteps;

    public TimeSpan EstimatedRemaining => Step == 0 ? TimeSpan.Zero : Elapsed * ((double)(TotalSteps - Step) / Step);
}
