using GauMLNet.Configuration;

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
}
