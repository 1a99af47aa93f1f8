namespace GauMLNet.Training;

/// <summary>The loss or gradients became NaN or infinite. The model holds the last good weights.</summary>
/// <param name="reason">what happened, e.g. "the training loss became NaN"</param>
public sealed class TrainingDivergedException(string message, int epoch, long step, string reason) : Exception(message)
{
    public int Epoch { get; } = epoch;
    public long Step { get; } = step;
    public string Reason { get; } = reason;
}
