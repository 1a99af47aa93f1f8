using GauMLNet.Engines;

namespace GauMLNet.Onnx;

/// <summary>
/// The ONNX Runtime execution providers a device spec asks for, in its order, among those this process's ONNX Runtime
/// has: auto and cpu are the CPU provider (the default); cuda and cuda:N the CUDA provider, which ONNX Runtime has when the
/// application references Microsoft.ML.OnnxRuntime.Gpu.
/// </summary>
internal static class ExecutionProviders
{
    public const string Cpu = "CPUExecutionProvider";
    public const string Cuda = "CUDAExecutionProvider";

    /// <summary>A provider to try, and the GPU it runs on (null for the CPU).</summary>
    public readonly record struct Candidate(string Provider, int? CudaDevice)
    {
        public string DeviceName => CudaDevice is { } index ? $"cuda:{index}" : "cpu";
    }

    /// <summary>Every choice of <paramref name="spec"/> this ONNX Runtime can try, in order; an error naming what is missing when none.</summary>
    public static IReadOnlyList<Candidate> For(string? spec, IReadOnlyCollection<string> available)
    {
        var candidates = new List<Candidate>();
        foreach (string choice in DeviceSpec.Choices(spec))
        {
            if (choice is "auto" or "cpu") candidates.Add(new Candidate(Cpu, null));
            else if (available.Contains(Cuda)) candidates.Add(new Candidate(Cuda, DeviceSpec.CudaIndex(choice)));
        }
        if (candidates.Count == 0)
            throw new NotSupportedException(
                $"Device '{spec}': this process's ONNX Runtime has no CUDA execution provider (it has {string.Join(", ", available)}). " +
                "For CUDA, the application references Microsoft.ML.OnnxRuntime.Gpu; or add cpu as a fallback (e.g. cuda:0,cpu).");
        return candidates;
    }
}
