using GauMLNet.Engines;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Runtime;

/// <summary>Resolves the device names users give (<see cref="DeviceSpec"/>): auto, cpu, cuda, cuda:N, or a comma list tried in order.</summary>
public static class ComputeDevice
{
    /// <summary>
    /// The first available choice of <paramref name="name"/>; auto picks CUDA when libtorch reports a usable GPU, else the
    /// CPU. An unavailable GPU is skipped unless it is the last choice, which then fails saying why.
    /// </summary>
    public static Device Resolve(string? name)
    {
        var choices = DeviceSpec.Choices(name);
        string? unavailable = null;
        foreach (string choice in choices)
        {
            if (choice == "auto") return cuda.is_available() ? CUDA : CPU;
            if (choice == "cpu") return CPU;
            int index = DeviceSpec.CudaIndex(choice)!.Value;
            if (!cuda.is_available())
                unavailable = $"{choice} was requested but CUDA is not available: this build bundles a CPU libtorch or no GPU is visible. " +
                    "Build with -p:TorchBackend=cuda-linux (or cuda-windows), use device 'cpu', or allow the CPU (MLContext.FallbackToCpu, or a list such as cuda:0,cpu).";
            else if (index >= cuda.device_count())
                unavailable = $"{choice}: only {cuda.device_count()} CUDA device(s) are visible.";
            else
                return new Device(global::TorchSharp.DeviceType.CUDA, index);
        }
        throw new ArgumentException($"Device '{name}': {unavailable}", nameof(name));
    }
}
