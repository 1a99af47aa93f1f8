namespace GauMLNet.Training;

/// <summary>The loss or gradients became NaN or infinite. The model holds the last good weights.</summary>
public sealed class TrainingDivergedException(string message, int epoch, long step) : Exception(message)
{
    public int Epoch { get; } = epoch;
    public long Step { get; } = step;
}
