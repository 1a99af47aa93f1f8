using GauMLNet.TorchSharp.Runtime;

namespace GauMLNet.Benchmarks;

/// <summary>
/// The smoke pass's check of <see cref="CpuCapabilities.Parse"/> on /proc/cpuinfo texts of other machines
/// (shortened to the fields it reads), so the peak arithmetic is exercised beyond the CPU CI happens to run on.
/// </summary>
internal static class CpuCapabilitiesCheck
{
    // Two SMT siblings of one Sapphire Rapids core, with cpufreq's maximum (kHz).
    private const string SapphireRapids = """
        processor	: 0
        vendor_id	: GenuineIntel
        cpu family	: 6
        model		: 143
        model name	: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
        cpu MHz		: 2699.998
        physical id	: 0
        core id		: 0
        flags		: fpu sse sse2 avx fma avx2 avx512f avx512dq avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8

        processor	: 1
        vendor_id	: GenuineIntel
        cpu family	: 6
        model		: 143
        model name	: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
        cpu MHz		: 2699.998
        physical id	: 0
        core id		: 0
        flags		: fpu sse sse2 avx fma avx2 avx512f avx512dq avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8

        """;

    // Zen 4 Genoa (family 25 = 19h, model 17 = 11h): AVX-512 double-pumped; no cpufreq in the VM.
    private const string Genoa = """
        processor	: 0
        vendor_id	: AuthenticAMD
        cpu family	: 25
        model		: 17
        model name	: AMD EPYC 9B14
        cpu MHz		: 2600.000
        physical id	: 0
        core id		: 0
        flags		: fpu sse sse2 avx fma avx2 avx512f avx512_vnni avx512_bf16

        processor	: 1
        vendor_id	: AuthenticAMD
        cpu family	: 25
        model		: 17
        model name	: AMD EPYC 9B14
        cpu MHz		: 2600.000
        physical id	: 0
        core id		: 1
        flags		: fpu sse sse2 avx fma avx2 avx512f avx512_vnni avx512_bf16

        """;

    // Zen 5 Turin (family 26 = 1Ah, model 2) as a VM reports it.
    private const string Turin = """
        processor	: 0
        vendor_id	: AuthenticAMD
        cpu family	: 26
        model		: 2
        model name	: AMD EPYC
        cpu MHz		: 2096.006
        physical id	: 0
        core id		: 0
        flags		: fpu sse sse2 fma avx avx2 avx512f avx512_bf16 avx512_vnni

        processor	: 1
        vendor_id	: AuthenticAMD
        cpu family	: 26
        model		: 2
        model name	: AMD EPYC
        cpu MHz		: 2096.006
        physical id	: 0
        core id		: 1
        flags		: fpu sse sse2 fma avx avx2 avx512f avx512_bf16 avx512_vnni
        """;

    // Haswell desktop, no core ids, CRLF line ends.
    private const string Haswell = "processor\t: 0\r\nvendor_id\t: GenuineIntel\r\ncpu family\t: 6\r\nmodel\t\t: 60\r\nmodel name\t: Intel(R) Core(TM) i7-4770 CPU @ 3.40GHz\r\ncpu MHz\t\t: 3400.000\r\nflags\t\t: fpu sse sse2 avx fma avx2\r\n";

    /// <summary>Failures, empty when every expectation holds.</summary>
    public static List<string> Run()
    {
        var failures = new List<string>();
        void Expect(string name, CpuCapabilities cpu, int physical, int logical, double clock, int flops, bool nativeBf16, string[] flags)
        {
            double expectedPeak = physical * clock / 1000 * flops;
            if (cpu.PhysicalCores != physical || cpu.LogicalCores != logical) failures.Add($"CpuCapabilities {name}: cores {cpu.PhysicalCores}/{cpu.LogicalCores}, expected {physical}/{logical}");
            if (cpu.ClockMHz is not { } c || Math.Abs(c - clock) > 1e-6) failures.Add($"CpuCapabilities {name}: clock {cpu.ClockMHz}, expected {clock}");
            if (cpu.Fp32FlopsPerCycle != flops) failures.Add($"CpuCapabilities {name}: {cpu.Fp32FlopsPerCycle} FLOP/cycle, expected {flops} ({cpu.PeakAssumption})");
            if (cpu.TheoreticalPeakGflopsFp32 is not { } peak || Math.Abs(peak - expectedPeak) > 1e-6) failures.Add($"CpuCapabilities {name}: peak {cpu.TheoreticalPeakGflopsFp32}, expected {expectedPeak}");
            if (cpu.NativeBFloat16 != nativeBf16) failures.Add($"CpuCapabilities {name}: NativeBFloat16 {cpu.NativeBFloat16}, expected {nativeBf16}");
            if (!cpu.PresentRelevantFlags.SequenceEqual(flags)) failures.Add($"CpuCapabilities {name}: flags {string.Join(' ', cpu.PresentRelevantFlags)}, expected {string.Join(' ', flags)}");
        }
        var spr = CpuCapabilities.Parse(SapphireRapids, "3800000\n");
        Expect("Sapphire Rapids", spr, 1, 2, 3800, 64, true, ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile", "amx_int8"]);
        if (!spr.ClockSource.StartsWith("cpufreq", StringComparison.Ordinal)) failures.Add($"CpuCapabilities Sapphire Rapids: clock source {spr.ClockSource}, expected cpufreq");
        Expect("Genoa", CpuCapabilities.Parse(Genoa), 2, 2, 2600, 32, true, ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16"]);
        Expect("Turin", CpuCapabilities.Parse(Turin), 2, 2, 2096.006, 64, true, ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16"]);
        var haswell = CpuCapabilities.Parse(Haswell);
        Expect("Haswell", haswell, 1, 1, 3400, 32, false, ["avx2", "fma"]);
        if (haswell.ModelName != "Intel(R) Core(TM) i7-4770 CPU @ 3.40GHz") failures.Add($"CpuCapabilities Haswell: model name '{haswell.ModelName}'");
        var empty = CpuCapabilities.Parse("");
        if (empty.TheoreticalPeakGflopsFp32 is not null) failures.Add("CpuCapabilities: an empty cpuinfo gave a peak");
        return failures;
    }
}
