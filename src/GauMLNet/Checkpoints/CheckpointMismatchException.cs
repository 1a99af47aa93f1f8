namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>A checkpoint whose tensors do not fit the model: every missing, unexpected and mis-shaped tensor is listed.</summary>
public sealed class CheckpointMismatchException : IOException
{
    public CheckpointMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misShaped)
        : base(Describe(source, missing, unexpected, misShaped))
    {
        Missing = missing;
        Unexpected = unexpected;
        MisShaped = misShaped;
    }

    public IReadOnlyList<string> Missing { get; }
    public IReadOnlyList<string> Unexpected { get; }
    public IReadOnlyList<string> MisShaped { get; }

    private static string Describe(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misShaped)
    {
        var lines = new List<string> { $"{source} does not fit the model:" };
        if (missing.Count > 0) lines.Add($"  missing ({missing.Count}): {string.Join(", ", missing)}");
        if (unexpected.Count > 0) lines.Add($"  unexpected ({unexpected.Count}): {string.Join(", ", unexpected)}");
        if (misShaped.Count > 0) lines.Add($"  mis-shaped ({misShaped.Count}): {string.Join("; ", misShaped)}");
        return string.Join(Environment.NewLine, lines);
    }
}
