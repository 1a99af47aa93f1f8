using GauMLNet.Configuration;
using GauMLNet.Tasks;

namespace GauMLNet.Engines;

/// <summary>How an engine runs, chosen when it is created.</summary>
public sealed record EngineOptions
{
    /// <summary>auto, cpu, cuda or cuda:N (engines without GPUs accept auto and cpu).</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Intra-op threads (0: the engine's default).</summary>
    public int Threads { get; init; }

    public InferencePrecision Precision { get; init; } = InferencePrecision.Float32;

    /// <summary>
    /// Score in <see cref="Precision"/> even where the device only emulates it. Without it an engine scores bf16 in
    /// fp32 on a CPU without native bf16 (emulated bf16 runs at about half the fp32 speed) and says so in its Notice.
    /// </summary>
    public bool ForcePrecision { get; init; }

    /// <summary>How an engine scores a model: its precision settings, on <paramref name="device"/> (default: the saved one).</summary>
    public static EngineOptions For(GauTaskSpec spec, string? device = null, int threads = 0) =>
        new() { Device = device ?? spec.Device, Threads = threads, Precision = spec.InferencePrecision, ForcePrecision = spec.ForcePrecision };
}
