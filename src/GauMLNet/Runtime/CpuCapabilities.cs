using System.Globalization;
using System.Text.RegularExpressions;

namespace GauMLNet.TorchSharp.Runtime;

/// <summary>
/// What the CPU offers for dense arithmetic, read from Linux's /proc/cpuinfo (and cpufreq when present):
/// model name, core counts, the vector flags that decide GEMM speed, a clock, and the theoretical fp32 peak
/// cores × clock × FLOPs per cycle. Plain text parsing, no libtorch: this can move to an assembly without TorchSharp.
/// </summary>
/// <remarks>
/// FLOPs per cycle per core (fp32, fused multiply-add counted as 2), by microarchitecture:
/// <list type="bullet">
/// <item>AMD Zen 5 (family 1Ah) desktop and server — Granite Ridge (models 40h–4Fh), EPYC Turin and Turin
/// dense (00h–1Fh), Strix Halo (70h–7Fh): a native 512-bit FP datapath, four 512-bit pipes of which two do
/// FMA: 2 × 16 lanes × 2 = 64.</item>
/// <item>AMD Zen 5 mobile — Strix Point (20h–2Fh), Krackan Point (60h–6Fh): AVX-512 executed on a 256-bit
/// datapath: 2 × 8 × 2 = 32.</item>
/// <item>AMD Zen 4 (family 19h, models 10h–1Fh and 60h–AFh: Genoa, Bergamo, Raphael, Phoenix): AVX-512 is
/// "double-pumped" — each 512-bit instruction occupies a 256-bit FMA pipe for two cycles — so AVX-512 raises
/// no peak: two 256-bit FMA pipes, 2 × 8 × 2 = 32. Zen 3 (the rest of family 19h) and Zen 2: the same 32.</item>
/// <item>AMD Zen and Zen+ (family 17h, models 00h–2Fh, 50h–5Fh): two 128-bit FMA pipes, 2 × 4 × 2 = 16.</item>
/// <item>Intel Xeon with AVX-512 (Skylake-SP and later): two 512-bit FMA ports, 2 × 16 × 2 = 64 — except the
/// Skylake-SP/Cascade Lake Bronze, Silver and Gold 5xxx parts, which fuse only one (32).</item>
/// <item>Intel client cores with AVX-512 (Ice Lake, Tiger Lake, Rocket Lake): one 512-bit FMA port, 32.</item>
/// <item>Otherwise by flags: AVX2 with FMA (Haswell and later, Intel and other vendors) 2 × 8 × 2 = 32; AVX
/// without FMA (Sandy/Ivy Bridge: one 256-bit add and one 256-bit multiply port) 16; SSE2 8. An AVX-512 CPU
/// this table does not know is assumed to have two 512-bit FMA units (64).</item>
/// </list>
/// Cores are physical cores (distinct physical id/core id pairs), since SMT siblings share the FMA units; a
/// virtual machine shows its vCPUs as it chooses. The clock is cpufreq's cpuinfo_max_freq when the kernel
/// exposes it (the top boost clock), else the highest "cpu MHz" line of /proc/cpuinfo, which is the current
/// clock on bare metal and the nominal (TSC) clock in most virtual machines: a core that boosts above it can
/// then measure faster than the "peak".
/// </remarks>
public sealed record CpuCapabilities
{
    /// <summary>The flags this library cares about, in the order reports list them.</summary>
    public static readonly IReadOnlyList<string> RelevantFlags =
        ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile", "amx_int8"];

    private const string ProcCpuInfo = "/proc/cpuinfo";
    private const string CpuFreqMax = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq";

    private static readonly Lazy<CpuCapabilities> CurrentCapabilities = new(ReadCurrent);

    /// <summary>"GenuineIntel", "AuthenticAMD", … or "unknown".</summary>
    public string Vendor { get; init; } = "unknown";

    /// <summary>The "model name" line, as the kernel (or hypervisor) reports it.</summary>
    public string ModelName { get; init; } = "unknown";

    public int? Family { get; init; }
    public int? Model { get; init; }

    /// <summary>Logical processors (one per "processor" block).</summary>
    public int LogicalCores { get; init; }

    /// <summary>Distinct (physical id, core id) pairs; equals <see cref="LogicalCores"/> when the ids are absent.</summary>
    public int PhysicalCores { get; init; }

    /// <summary>Every flag of the first processor, lower case.</summary>
    public IReadOnlySet<string> Flags { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The clock the peak uses, in MHz; null when neither source gave one.</summary>
    public double? ClockMHz { get; init; }

    /// <summary>Where <see cref="ClockMHz"/> came from.</summary>
    public string ClockSource { get; init; } = "none";

    /// <summary>fp32 FLOPs per cycle per core from the vector units; null when the architecture is unknown.</summary>
    public int? Fp32FlopsPerCycle { get; init; }

    /// <summary>Which microarchitecture rule gave <see cref="Fp32FlopsPerCycle"/>, and its arithmetic.</summary>
    public string PeakAssumption { get; init; } = "unknown architecture";

    public bool HasFlag(string flag) => Flags.Contains(flag);

    /// <summary>The <see cref="RelevantFlags"/> this CPU has.</summary>
    public IReadOnlyList<string> PresentRelevantFlags => RelevantFlags.Where(HasFlag).ToList();

    /// <summary>The <see cref="RelevantFlags"/> this CPU lacks.</summary>
    public IReadOnlyList<string> MissingRelevantFlags => RelevantFlags.Where(f => !HasFlag(f)).ToList();

    public bool Avx2 => HasFlag("avx2");
    public bool Fma => HasFlag("fma");
    public bool Avx512F => HasFlag("avx512f");
    public bool Avx512Vnni => HasFlag("avx512_vnni");
    public bool Avx512BFloat16 => HasFlag("avx512_bf16");
    public bool AmxBFloat16 => HasFlag("amx_bf16");
    public bool AmxTile => HasFlag("amx_tile");
    public bool AmxInt8 => HasFlag("amx_int8");

    /// <summary>Whether the CPU has bf16 arithmetic instructions (AVX512-BF16 or AMX-BF16), not just conversions.</summary>
    public bool NativeBFloat16 => Avx512BFloat16 || AmxBFloat16;

    /// <summary>Physical cores × clock × <see cref="Fp32FlopsPerCycle"/>, in GFLOP/s; null when a factor is unknown.</summary>
    public double? TheoreticalPeakGflopsFp32 =>
        ClockMHz is { } mhz && Fp32FlopsPerCycle is { } flops && PhysicalCores > 0 ? PhysicalCores * mhz / 1000.0 * flops : null;

    /// <summary>The machine this process runs on (read once).</summary>
    public static CpuCapabilities Current => CurrentCapabilities.Value;

    private static CpuCapabilities ReadCurrent()
    {
        try
        {
            if (!File.Exists(ProcCpuInfo))
                return new CpuCapabilities { LogicalCores = Environment.ProcessorCount, PhysicalCores = Environment.ProcessorCount, PeakAssumption = $"unknown: no {ProcCpuInfo}" };
            string? maxFrequency = File.Exists(CpuFreqMax) ? File.ReadAllText(CpuFreqMax) : null;
            return Parse(File.ReadAllText(ProcCpuInfo), maxFrequency);
        }
        catch (IOException ex)
        {
            return new CpuCapabilities { LogicalCores = Environment.ProcessorCount, PhysicalCores = Environment.ProcessorCount, PeakAssumption = $"unknown: {ex.Message}" };
        }
        catch (UnauthorizedAccessException ex)
        {
            return new CpuCapabilities { LogicalCores = Environment.ProcessorCount, PhysicalCores = Environment.ProcessorCount, PeakAssumption = $"unknown: {ex.Message}" };
        }
    }

    /// <summary>Reads the text of /proc/cpuinfo and, when present, of cpufreq's cpuinfo_max_freq (kHz).</summary>
    public static CpuCapabilities Parse(string cpuinfoText, string? cpufreqMaxKHzText = null)
    {
        ArgumentNullException.ThrowIfNull(cpuinfoText);
        var processors = new List<Dictionary<string, string>>();
        Dictionary<string, string>? current = null;
        foreach (string raw in cpuinfoText.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (key == "processor" || current is null)
            {
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                processors.Add(current);
            }
            current[key] = value;
        }
        if (processors.Count == 0) return new CpuCapabilities { PeakAssumption = "unknown: empty cpuinfo" };

        var first = processors[0];
        string Field(string key) => first.TryGetValue(key, out string? v) ? v : "";
        static int? Integer(string text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;

        // x86 says "flags", ARM "Features".
        string flagText = Field("flags") is { Length: > 0 } f ? f : Field("Features");
        var flags = new HashSet<string>(flagText.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.ToLowerInvariant()), StringComparer.Ordinal);

        int logical = processors.Count(p => p.ContainsKey("processor"));
        if (logical == 0) logical = processors.Count;
        var coreIds = processors
            .Where(p => p.ContainsKey("core id"))
            .Select(p => (p.TryGetValue("physical id", out string? pid) ? pid : "0", p["core id"]))
            .Distinct()
            .Count();
        int physical = coreIds > 0 ? coreIds : logical;

        double? clock = null;
        string clockSource = "none";
        if (cpufreqMaxKHzText is not null && double.TryParse(cpufreqMaxKHzText.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double khz) && khz > 0)
        {
            clock = khz / 1000.0;
            clockSource = "cpufreq cpuinfo_max_freq (maximum boost clock)";
        }
        else
        {
            var mhz = processors
                .Select(p => p.TryGetValue("cpu MHz", out string? m) && double.TryParse(m, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 0)
                .Where(v => v > 0)
                .ToList();
            if (mhz.Count > 0)
            {
                clock = mhz.Max();
                clockSource = "/proc/cpuinfo \"cpu MHz\" (no cpufreq: the current or, in a VM, the nominal clock; boost may exceed it)";
            }
        }

        string vendor = Field("vendor_id") is { Length: > 0 } vid ? vid : "unknown";
        string modelName = Field("model name") is { Length: > 0 } name ? name : Field("Processor") is { Length: > 0 } armName ? armName : "unknown";
        int? family = Integer(Field("cpu family"));
        int? model = Integer(Field("model"));
        var (flopsPerCycle, assumption) = Fp32FlopsPerCycleOf(vendor, family, model, modelName, flags);
        return new CpuCapabilities
        {
            Vendor = vendor,
            ModelName = modelName,
            Family = family,
            Model = model,
            LogicalCores = logical,
            PhysicalCores = physical,
            Flags = flags,
            ClockMHz = clock,
            ClockSource = clockSource,
            Fp32FlopsPerCycle = flopsPerCycle,
            PeakAssumption = assumption,
        };
    }

    // The table in the class remarks, as code.
    private static (int? Flops, string Assumption) Fp32FlopsPerCycleOf(string vendor, int? family, int? model, string modelName, HashSet<string> flags)
    {
        bool avx512 = flags.Contains("avx512f"), fma = flags.Contains("fma"), avx2 = flags.Contains("avx2");
        string where = family is { } fam && model is { } mod ? $"family {fam:X2}h model {mod:X2}h" : "family/model unknown";
        if (vendor == "AuthenticAMD" && family is { } f && model is { } m)
        {
            switch (f)
            {
                case 0x1A when m is (>= 0x20 and <= 0x2F) or (>= 0x60 and <= 0x6F):
                    return (32, $"AMD Zen 5 mobile ({where}): AVX-512 on a 256-bit datapath, 2 FMA pipes × 8 fp32 lanes × 2 = 32 FLOP/cycle");
                case 0x1A when m <= 0x4F || m is >= 0x70 and <= 0x7F:
                    return (64, $"AMD Zen 5 ({where}): native 512-bit datapath, 2 FMA pipes × 16 fp32 lanes × 2 = 64 FLOP/cycle");
                case 0x19 when m is (>= 0x10 and <= 0x1F) or (>= 0x60 and <= 0xAF):
                    return (32, $"AMD Zen 4 ({where}): AVX-512 double-pumped on 256-bit units, 2 FMA pipes × 8 fp32 lanes × 2 = 32 FLOP/cycle");
                case 0x19:
                    return (32, $"AMD Zen 3 ({where}): 2 FMA pipes × 8 fp32 lanes (256-bit) × 2 = 32 FLOP/cycle");
                case 0x17 when m is (<= 0x2F) or (>= 0x50 and <= 0x5F):
                    return (16, $"AMD Zen/Zen+ ({where}): 2 FMA pipes × 4 fp32 lanes (128-bit) × 2 = 16 FLOP/cycle");
                case 0x17:
                    return (32, $"AMD Zen 2 ({where}): 2 FMA pipes × 8 fp32 lanes (256-bit) × 2 = 32 FLOP/cycle");
            }
        }
        if (vendor == "GenuineIntel" && avx512)
        {
            bool xeon = modelName.Contains("Xeon", StringComparison.OrdinalIgnoreCase);
            // Skylake-SP and Cascade Lake (model 55h) Bronze, Silver and Gold 5xxx enable one 512-bit FMA port.
            bool oneFmaXeon = model == 0x55 && (modelName.Contains("Bronze", StringComparison.OrdinalIgnoreCase)
                || modelName.Contains("Silver", StringComparison.OrdinalIgnoreCase)
                || Regex.IsMatch(modelName, @"Gold\s+5\d{3}"));
            if (xeon && !oneFmaXeon)
                return (64, $"Intel Xeon with AVX-512 ({where}): 2 FMA ports × 16 fp32 lanes × 2 = 64 FLOP/cycle");
            return (32, xeon
                ? $"Intel Xeon Bronze/Silver/Gold 5xxx with AVX-512 ({where}): 1 512-bit FMA port × 16 fp32 lanes × 2 = 32 FLOP/cycle"
                : $"Intel client core with AVX-512 ({where}): 1 512-bit FMA port × 16 fp32 lanes × 2 = 32 FLOP/cycle");
        }
        if (avx512 && fma)
            return (64, $"{vendor} ({where}), assumed from flags: AVX-512 with 2 FMA units × 16 fp32 lanes × 2 = 64 FLOP/cycle");
        if (avx2 && fma)
            return (32, $"{vendor} ({where}), from flags: AVX2+FMA, 2 FMA units × 8 fp32 lanes × 2 = 32 FLOP/cycle");
        if (flags.Contains("avx"))
            return (16, $"{vendor} ({where}), from flags: AVX without FMA, one 256-bit add + one 256-bit multiply = 16 FLOP/cycle");
        if (flags.Contains("sse2"))
            return (8, $"{vendor} ({where}), from flags: SSE2, one 128-bit add + one 128-bit multiply = 8 FLOP/cycle");
        return (null, $"unknown architecture ({vendor}, {where})");
    }

    /// <summary>A few lines for a report: model, cores, flags, clock and the peak with its assumption.</summary>
    public string Describe()
    {
        string peak = TheoreticalPeakGflopsFp32 is { } p
            ? $"{p:F1} GFLOP/s fp32 = {PhysicalCores} cores × {ClockMHz!.Value:F0} MHz × {Fp32FlopsPerCycle} FLOP/cycle"
            : "unknown";
        return string.Join(Environment.NewLine,
            $"CPU: {ModelName} ({Vendor}{(Family is { } f && Model is { } m ? $", family {f:X2}h model {m:X2}h" : "")}), {PhysicalCores} cores / {LogicalCores} logical",
            $"     flags: {(PresentRelevantFlags.Count > 0 ? string.Join(' ', PresentRelevantFlags) : "(none of interest)")}; absent: {(MissingRelevantFlags.Count > 0 ? string.Join(' ', MissingRelevantFlags) : "none")}",
            $"     clock: {(ClockMHz is { } c ? $"{c:F0} MHz" : "unknown")} from {ClockSource}",
            $"     theoretical peak: {peak}",
            $"     assumption: {PeakAssumption}");
    }
}
