namespace GauMLNet.Training;

/// <summary>A resume whose configuration, arguments or data differ from the checkpoint's; every difference is named.</summary>
public sealed class CheckpointFingerprintException(string checkpoint, IReadOnlyList<string> differences)
    : InvalidOperationException($"cannot resume from {checkpoint}: this run differs from the one that wrote it ({string.Join("; ", differences)}). " +
        "Resume with the same model, arguments and data, or start afresh without resuming.")
{
    public IReadOnlyList<string> Differences { get; } = differences;
}
