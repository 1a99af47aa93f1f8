using static TorchSharp.torch;

namespace GauMLNet.Runtime;

/// <summary>Parses the device names users give: auto, cpu, cuda, cuda:N.</summary>
public static class ComputeDevice
{
    /// <summary>auto picks CUDA when libtorch reports a usable GPU, else the CPU.</summary>
    public static Device Resolve(string? name)
    {
        string spec = string.IsNullOrWhiteSpace(name) ? "auto" : name.Trim().ToLowerInvariant();
        if (spec == "auto") return cuda.is_available() ? CUDA : CPU;
        if (spec == "cpu") return CPU;
        if (spec == "cuda" || spec.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (spec.Length > 4 && (!int.TryParse(spec.AsSpan(5), out index) || index < 0))
                throw new ArgumentException($"Device '{name}': expected cuda:N with N a GPU index.", nameof(name));
            if (!cuda.is_available())
                throw new ArgumentException($"Device '{name}' was requested but CUDA is not available: this build bundles a CPU libtorch " +
                    "or no GPU is visible. Build with -p:TorchBackend=cuda-linux (or cuda-windows), or use device 'cpu'.", nameof(name));
            if (index >= cuda.device_count())
                throw new ArgumentException($"Device '{name}': only {cuda.device_count()} CUDA device(s) are visible.", nameof(name));
            return new Device(TorchSharp.DeviceType.CUDA, index);
        }
        throw new ArgumentException($"Unknown device '{name}'; expected auto, cpu, cuda or cuda:N.", nameof(name));
    }
}
