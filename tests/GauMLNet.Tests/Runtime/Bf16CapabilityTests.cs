using GauMLNet.Configuration;
using GauMLNet.Runtime;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Runtime;

public class Bf16CapabilityTests
{
    private static (TrainingPrecision Precision, List<string> Log, int Probes) Resolve(bool native, TrainingPrecision requested, bool force)
    {
        int probes = 0;
        var capability = new Bf16Capability(() => { probes++; return native; });
        var log = new List<string>();
        var precision = capability.Resolve(requested, CPU, force, log.Add);
        return (precision, log, probes);
    }

    [Fact]
    public void ANativeCpuTrainsInBf16Silently()
    {
        var (precision, log, _) = Resolve(native: true, TrainingPrecision.BFloat16, force: false);
        Assert.Equal(TrainingPrecision.BFloat16, precision);
        Assert.Empty(log);
    }

    [Fact]
    public void AnEmulatingCpuFallsBackToFp32WithOneLine()
    {
        var (precision, log, _) = Resolve(native: false, TrainingPrecision.BFloat16, force: false);
        Assert.Equal(TrainingPrecision.Float32, precision);
        var line = Assert.Single(log);
        Assert.Equal(Bf16Capability.FallbackMessage, line);
        Assert.DoesNotContain('\n', line);
        Assert.Contains("fp32", line);
        Assert.Contains("--force-precision", line);
    }

    [Fact]
    public void AnEmulatingCpuTrainsInBf16WhenForced()
    {
        var (precision, log, _) = Resolve(native: false, TrainingPrecision.BFloat16, force: true);
        Assert.Equal(TrainingPrecision.BFloat16, precision);
        Assert.Empty(log);
    }

    [Fact]
    public void Fp32NeverAsksTheProbe()
    {
        var (precision, log, probes) = Resolve(native: false, TrainingPrecision.Float32, force: false);
        Assert.Equal(TrainingPrecision.Float32, precision);
        Assert.Empty(log);
        Assert.Equal(0, probes);
    }

    [Theory]
    [InlineData("flags\t\t: fpu vme avx512f avx512_bf16 avx512_vnni\n", true)]
    [InlineData("processor\t: 0\nflags\t\t: fpu amx_bf16 amx_tile amx_int8\n", true)]
    [InlineData("flags\t\t: fpu vme avx512f avx512_vnni\nbugs\t\t: avx512_bf16\n", false)] // only the flags line counts
    [InlineData("flags\t\t: fpu vme avx2 avx512_bf16x\n", false)]
    [InlineData("", false)]
    public void TheDefaultProbeReadsTheCpuFlags(string cpuInfo, bool native) => Assert.Equal(native, Bf16Capability.HasNativeBf16Flag(cpuInfo));

    [Fact]
    public void TheDefaultProbeAgreesWithThisMachinesCpuInfo()
    {
        bool expected = File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo")
            .Any(l => l.StartsWith("flags", StringComparison.Ordinal) && (l.Contains(" avx512_bf16", StringComparison.Ordinal) || l.Contains(" amx_bf16", StringComparison.Ordinal)));
        Assert.Equal(expected, Bf16Capability.Default.IsNative(CPU));
    }
}
