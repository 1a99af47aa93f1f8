using GauMLNet.Configuration;
using GauMLNet.Engines;
using GauMLNet.Tasks;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Backend;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
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
    public void TheDefaultProbeReadsTheCpuFlags(string cpuInfo, bool native) => Assert.Equal(native, CpuCapabilities.Parse(cpuInfo).NativeBFloat16);

    [Fact]
    public void TheDefaultProbeAgreesWithThisMachinesCpuInfo()
    {
        bool expected = File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo")
            .Any(l => l.StartsWith("flags", StringComparison.Ordinal) && (l.Contains(" avx512_bf16", StringComparison.Ordinal) || l.Contains(" amx_bf16", StringComparison.Ordinal)));
        Assert.Equal(expected, Bf16Capability.Default.IsNative(CPU));
    }

    // Scoring: the engine a bf16 model gets on a CPU that computes bf16 natively, or only emulates it.
    private static (TorchSharpInferenceEngine Engine, int Probes) Engine(bool native, InferencePrecision requested, bool force)
    {
        int probes = 0;
        var config = GauAlphaConfig.Tiny with { NumHiddenLayers = 1, VocabSize = 32 };
        var network = TaskNetworkFactory.Create(GauTask.Classification, config, 2, SequencePooling.First);
        TaskNetworks.Initialize(network, config, seed: 1);
        var engine = new TorchSharpInferenceEngine(network, new EngineOptions { Device = "cpu", Precision = requested, ForcePrecision = force },
            new Bf16Capability(() => { probes++; return native; }));
        return (engine, probes);
    }

    private static PaddedBatch OneRow() => PaddedBatch.Collate([new EncodedText([2, 5, 6, 7, 3], [0, 0, 0, 0, 0], Truncated: false)], padId: 0);

    [Fact]
    public void Bf16ScoringOnAnEmulatingCpuFallsBackToFp32AndSaysSo()
    {
        var (engine, probes) = Engine(native: false, InferencePrecision.BFloat16, force: false);
        using (engine)
        {
            Assert.Equal(InferencePrecision.Float32, engine.Precision);
            Assert.Equal(Bf16Capability.InferenceFallbackMessage, engine.Notice);
            Assert.Contains("fp32", engine.Description);
            Assert.Equal(1, probes);
            var (fp32, _) = Engine(native: false, InferencePrecision.Float32, force: false);
            using (fp32) Assert.Equal(fp32.Run(OneRow()).Values, engine.Run(OneRow()).Values); // the same fp32 numbers
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Bf16ScoringRunsInBf16WhenNativeOrForced(bool native, bool force)
    {
        var (engine, _) = Engine(native, InferencePrecision.BFloat16, force);
        using (engine)
        {
            Assert.Equal(InferencePrecision.BFloat16, engine.Precision);
            Assert.Null(engine.Notice);
            Assert.Contains("bf16", engine.Description);
            var (fp32, _) = Engine(native, InferencePrecision.Float32, force: false);
            using (fp32)
            {
                float[] low = engine.Run(OneRow()).Values, full = fp32.Run(OneRow()).Values;
                Assert.NotEqual(full, low); // computed in bf16: close, not equal
                for (int i = 0; i < full.Length; i++) Assert.InRange(low[i], full[i] - 0.05f, full[i] + 0.05f);
            }
        }
    }
}
