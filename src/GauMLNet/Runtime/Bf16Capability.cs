using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.Runtime;

/// <summary>
/// Whether a device computes bf16 natively, and so which precision a training run or a scoring engine that asks for bf16 gets. On the CPU
/// the answer comes from a probe (a delegate, so tests can take either path); the default probe reads the CPU flags of
/// /proc/cpuinfo on Linux (avx512_bf16 or amx_bf16) and answers no elsewhere. A CPU without them would only emulate bf16
/// at roughly half the fp32 speed, so bf16 training and scoring fall back to fp32 there with one line, unless forced.
/// CUDA devices are taken as native (bf16 tensor cores from compute capability 8.0).
/// </summary>
public sealed class Bf16Capability(Func<bool> nativeBf16OnCpu)
{
    private static readonly Lazy<bool> CpuFlags = new(() => HasNativeBf16Flag(ReadCpuInfo()));

    /// <summary>The probe of this machine's CPU.</summary>
    public static Bf16Capability Default { get; } = new(() => CpuFlags.Value);

    /// <summary>The line logged when bf16 training falls back to fp32.</summary>
    public const string FallbackMessage =
        "bf16 training: this CPU has no native bf16 (AVX512-BF16 or AMX) and would emulate it at about half the fp32 speed; " +
        "training in fp32 instead (--force-precision / ForceTrainingPrecision trains in bf16 anyway).";

    /// <summary>The engine's notice when bf16 scoring falls back to fp32.</summary>
    public const string InferenceFallbackMessage =
        "bf16 scoring: this CPU has no native bf16 (AVX512-BF16 or AMX) and would emulate it at about half the fp32 speed; " +
        "scoring in fp32 instead (--force-precision / ForceInferencePrecision scores in bf16 anyway).";

    /// <summary>Whether <paramref name="device"/> computes bf16 natively.</summary>
    public bool IsNative(Device device) => device.type != TorchSharp.DeviceType.CPU || nativeBf16OnCpu();

    /// <summary>
    /// The precision to train in: the requested one, except bf16 on a device that only emulates it and
    /// <paramref name="force"/> off, which gives fp32 and logs <see cref="FallbackMessage"/>.
    /// </summary>
    public TrainingPrecision Resolve(TrainingPrecision requested, Device device, bool force, Action<string>? log)
    {
        if (requested != TrainingPrecision.BFloat16 || force || IsNative(device)) return requested;
        log?.Invoke(FallbackMessage);
        return TrainingPrecision.Float32;
    }

    /// <summary>Whether /proc/cpuinfo text names avx512_bf16 or amx_bf16 among a processor's flags.</summary>
    public static bool HasNativeBf16Flag(string cpuInfo) =>
        cpuInfo.Split('\n')
            .Where(line => line.StartsWith("flags", StringComparison.Ordinal) && line.Contains(':', StringComparison.Ordinal))
            .SelectMany(line => line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(' ', '\t'))
            .Any(flag => flag is "avx512_bf16" or "amx_bf16");

    private static string ReadCpuInfo()
    {
        try { return OperatingSystem.IsLinux() ? File.ReadAllText("/proc/cpuinfo") : ""; }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
