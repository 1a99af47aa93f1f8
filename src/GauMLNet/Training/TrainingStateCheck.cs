namespace GauMLNet.TorchSharp.Training;

/// <summary>
/// A training checkpoint's state.json, read back to resume: the manifest guards it against damage, but not against a
/// hand edit or a forged manifest, so every field a resumed run uses is checked here and refused naming the file and key
/// (a null list or fingerprint was a NullReferenceException in the resumed run). Issue #30.
/// </summary>
internal static class TrainingStateCheck
{
    public static TrainingState Require(TrainingState state, string source)
    {
        void Problem(string key, string what) => throw new InvalidDataException($"{source}: '{key}' {what}; the checkpoint's state is damaged.");
        if (string.IsNullOrEmpty(state.Kind)) Problem(nameof(state.Kind), "is missing or empty");
        if (state.Fingerprint is null) Problem(nameof(state.Fingerprint), "is missing");
        if (state.Fingerprint!.FirstOrDefault(kv => kv.Value is null) is { Key: { } nullKey }) Problem($"{nameof(state.Fingerprint)}.{nullKey}", "is null");
        if (state.Losses is null) Problem(nameof(state.Losses), "is null");
        if (state.Metrics is null) Problem(nameof(state.Metrics), "is null");
        if (state.Step < 0) Problem(nameof(state.Step), $"is {state.Step}, below 0");
        if (state.EpochsCompleted < 0) Problem(nameof(state.EpochsCompleted), $"is {state.EpochsCompleted}, below 0");
        if (state.EpochsWithoutImprovement < 0) Problem(nameof(state.EpochsWithoutImprovement), $"is {state.EpochsWithoutImprovement}, below 0");
        if (state.BestEpoch is < 1) Problem(nameof(state.BestEpoch), $"is {state.BestEpoch}, below 1");
        if (state.BestEpoch > state.EpochsCompleted) Problem(nameof(state.BestEpoch), $"is {state.BestEpoch}, after the {state.EpochsCompleted} epoch(s) completed");
        return state;
    }
}
