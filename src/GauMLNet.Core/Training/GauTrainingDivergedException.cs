using Microsoft.ML;

namespace GauMLNet.Training;

/// <summary>
/// Training diverged: the loss or gradients became NaN or infinite. The network keeps the last good weights; when the
/// run was an ML.NET Fit, <see cref="LastGoodModel"/> holds them as a transformer (the training backend throws, the
/// estimator adds the model and lets the same exception go on).
/// </summary>
/// <param name="reason">what happened, e.g. "the training loss became NaN"</param>
public sealed class GauTrainingDivergedException(string message, int epoch, long step, string reason) : Exception(message)
{
    public int Epoch { get; } = epoch;
    public long Step { get; } = step;
    public string Reason { get; } = reason;
    /// <summary>The last good weights as a fitted transformer; null where no ML.NET estimator ran (pretraining, the backend alone).</summary>
    public ITransformer? LastGoodModel { get; internal set; }
}
