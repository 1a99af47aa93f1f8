namespace GauMLNet.Engines;

/// <summary>
/// Device names as users give them: auto (a GPU when one is usable, else the CPU), cpu, cuda, cuda:N, or a comma list
/// tried in order — "cuda:1,cpu" is GPU 1 or else the CPU, which is what an MLContext with GpuDeviceId = 1 and
/// FallbackToCpu = true asks for.
/// </summary>
public static class DeviceSpec
{
    /// <summary>
    /// The choices of a spec, in order, trimmed and lower-cased; null or blank is auto. Every choice must be well formed,
    /// wherever it stands (an engine stops at the first available one).
    /// </summary>
    public static IReadOnlyList<string> Choices(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) return ["auto"];
        var choices = spec.Split(',').Select(c => c.Trim().ToLowerInvariant()).ToArray();
        foreach (string choice in choices)
        {
            if (!IsWellFormed(choice))
                throw new ArgumentException($"Unknown device '{choice}' in '{spec}'; expected auto, cpu, cuda, cuda:N (N a GPU index) or a comma list of them.", nameof(spec));
        }
        return choices;
    }

    /// <summary>The GPU index a cuda or cuda:N choice names (0 for cuda); null for auto and cpu.</summary>
    public static int? CudaIndex(string choice) =>
        choice == "cuda" ? 0 : choice.StartsWith("cuda:", StringComparison.Ordinal) ? int.Parse(choice.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture) : null;

    private static bool IsWellFormed(string choice) =>
        choice is "auto" or "cpu" or "cuda" ||
        (choice.StartsWith("cuda:", StringComparison.Ordinal) && choice.Length > 5 && choice.AsSpan(5).IndexOfAnyExceptInRange('0', '9') < 0 && choice.Length < 15);

    /// <summary>
    /// What an MLContext asks for, as Microsoft.ML.TorchSharp reads it: no GpuDeviceId is the CPU; a GpuDeviceId is that
    /// CUDA device, or else the CPU when FallbackToCpu is set (without it, a missing GPU is an error).
    /// </summary>
    public static string FromMLContext(int? gpuDeviceId, bool fallbackToCpu) => gpuDeviceId switch
    {
        null => "cpu",
        < 0 => throw new ArgumentOutOfRangeException(nameof(gpuDeviceId), gpuDeviceId, "MLContext.GpuDeviceId must be a GPU index (0 or more)."),
        int id when fallbackToCpu => $"cuda:{id},cpu",
        int id => $"cuda:{id}",
    };
}
