using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Runtime;

/// <summary>
/// Whether a device computes bf16 natively, and so which precision a training run or a scoring engine that asks for bf16 gets. On the CPU
/// the answer comes from a probe (a delegate, so tests can take either path); the default probe is
/// <see cref="CpuCapabilities.NativeBFloat16"/> (avx512_bf16 or amx_bf16 in /proc/cpuinfo; no elsewhere). A CPU without them would only emulate bf16
/// at roughly half the fp32 speed, so bf16 training and scoring fall back to fp32 there with one line, unless forced.
/// CUDA devices are taken as native (bf16 tensor cores from compute capability 8.0).
/// </summary>
public sealed class Bf16Capability(Func<bool> nativeBf16OnCpu)
{
    /// <summary>The probe of this machine's CPU.</summary>
    public static Bf16Capability Default { get; } = new(() => CpuCapabilities.Current.NativeBFloat16);

    /// <summary>The line logged when bf16 training falls back to fp32.</summary>
    public static readonly string FallbackMessage = Fallback("training", "ForceTrainingPrecision trains");

    /// <summary>The engine's notice when bf16 scoring falls back to fp32.</summary>
    public static readonly string InferenceFallbackMessage = Fallback("scoring", "ForceInferencePrecision scores");

    private static string Fallback(string what, string force) =>
        $"bf16 {what}: this CPU has no native bf16 (AVX512-BF16 or AMX) and would emulate it at about half the fp32 speed; " +
        $"{what} in fp32 instead (--force-precision / {force} in bf16 anyway).";

    /// <summary>Whether <paramref name="device"/> computes bf16 natively.</summary>
    public bool IsNative(Device device) => device.type != global::TorchSharp.DeviceType.CPU || nativeBf16OnCpu();

    /// <summary>Whether bf16, asked for on <paramref name="device"/>, falls back to fp32: not forced, and only emulated there.</summary>
    public bool FallsBack(Device device, bool force) => !force && !IsNative(device);

    /// <summary>
    /// The precision to train in: the requested one, except bf16 where it <see cref="FallsBack"/>, which gives fp32 and
    /// logs <see cref="FallbackMessage"/>.
    /// </summary>
    public TrainingPrecision Resolve(TrainingPrecision requested, Device device, bool force, Action<string>? log)
    {
        if (requested != TrainingPrecision.BFloat16 || !FallsBack(device, force)) return requested;
        log?.Invoke(FallbackMessage);
        return TrainingPrecision.Float32;
    }
}
