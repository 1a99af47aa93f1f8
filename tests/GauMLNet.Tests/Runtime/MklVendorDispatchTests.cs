using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Runtime;

public class MklVendorDispatchTests
{
    // The MKL in libtorch 2.10 names its kernel family in MKL_VERBOSE's first line.
    private const string Avx512Kernels = "Intel(R) Advanced Vector Extensions 512";

    private static CpuCapabilities Cpu(string vendor, int family, params string[] flags) =>
        new() { Vendor = vendor, Family = family, Flags = new HashSet<string>(flags, StringComparer.Ordinal) };

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static nint At(long address) => (nint)address;

    private static bool ThisCpuCanBeLifted(CpuCapabilities cpu) =>
        OperatingSystem.IsLinux() && cpu.Vendor == "AuthenticAMD" && cpu.Avx512F;

    private static string? Variable(string name) => System.Environment.GetEnvironmentVariable(name);

    [Fact]
    public void InThisProcessTheOutcomeFollowsTheSettingAndTheCpu()
    {
        var cpu = CpuCapabilities.Current;
        var result = MklVendorDispatch.EnsureApplied();
        string? setting = Variable(MklVendorDispatch.SettingVariable)?.Trim().ToLowerInvariant();
        Assert.True(AppContext.TryGetSwitch(ProcessSettings.MklVendorDispatchSwitch, out bool optedIn) && optedIn,
            "the test project opts in (<GauMklVendorDispatch>true</GauMklVendorDispatch>), and its runtimeconfig carries the switch");
        if (setting == "keep") Assert.True(result.State == MklVendorDispatchState.Kept, result.ToString());
        else if (setting is not (null or "" or "lift") || !string.IsNullOrEmpty(Variable("MKL_CBWR")) || !string.IsNullOrEmpty(Variable("MKL_ENABLE_INSTRUCTIONS")))
            Assert.Equal(MklVendorDispatchState.Declined, result.State);
        else if (ThisCpuCanBeLifted(cpu)) Assert.True(result.State == MklVendorDispatchState.Applied, $"{cpu.ModelName}: {result}");
        else Assert.True(result.State == MklVendorDispatchState.NotNeeded, $"{cpu.ModelName}: {result}");
    }

    [Fact]
    public void TheCommandLineRunsMklsAvx512KernelsReproduciblyByDefaultAndAsShippedWhenKept()
    {
        // MKL_VERBOSE must be set before the process starts: its banner names the kernel family MKL chose, and each
        // call's line its reproducibility mode (CNR:OFF, or CNR:AVX512,STRICT).
        (string Banner, string[] Calls) Verbose(string setting)
        {
            var environment = new Dictionary<string, string> { ["MKL_VERBOSE"] = "1", [MklVendorDispatch.SettingVariable] = setting };
            var (code, output, error) = CliProcess.Run(["encode", "--model", TestPaths.TinyModel, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"),
                "--output", Path.Combine(TestPaths.NewTempDirectory(), "out.json"), "--compare", Path.Combine(TestPaths.TinyModel, "expected.json"),
                "--tolerance", "1e-4", "--device", "cpu"], TimeSpan.FromMinutes(2), environment);
            Assert.True(code == 0, $"exit {code}: {error}\n{output}"); // both kernel families reproduce the reference outputs
            string[] lines = output.Split('\n');
            string banner = lines.FirstOrDefault(l => l.StartsWith("MKL_VERBOSE oneMKL", StringComparison.Ordinal) || l.StartsWith("MKL_VERBOSE Intel", StringComparison.Ordinal))
                ?? throw new Xunit.Sdk.XunitException($"no MKL_VERBOSE banner: MKL ran no routine?\n{output}");
            string[] calls = lines.Where(l => l.StartsWith("MKL_VERBOSE SGEMM", StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(calls);
            return (banner, calls);
        }
        var byDefault = Verbose(""); // empty: the default, whatever this test process was started with
        var lifted = Verbose("lift");
        var kept = Verbose("keep");
        Assert.All(kept.Calls, call => Assert.Contains(" CNR:OFF ", call));
        if (ThisCpuCanBeLifted(CpuCapabilities.Current))
        {
            foreach (var run in new[] { byDefault, lifted })
            {
                Assert.Contains(Avx512Kernels, run.Banner);
                Assert.All(run.Calls, call => Assert.Contains(" CNR:AVX512,STRICT ", call));
            }
            Assert.DoesNotContain(Avx512Kernels, kept.Banner);
        }
        else
        {
            Assert.Equal(kept.Banner, lifted.Banner); // nothing to lift here: the setting changes nothing
            Assert.Equal(kept.Banner, byDefault.Banner);
            Assert.All(lifted.Calls, call => Assert.Contains(" CNR:OFF ", call));
        }
    }

    [Fact]
    public void AppliedOnceTheCacheHoldsIntelAndASecondPassLeavesIt()
    {
        using (var scope = NewDisposeScope()) ones(8, 8).mm(ones(8, 8)); // MKL has decided by now, whichever way
        var again = MklVendorDispatch.Apply(Environment((MklVendorDispatch.SettingVariable, "lift")), optedIn: true, () => CpuCapabilities.Current);
        if (MklVendorDispatch.EnsureApplied().State == MklVendorDispatchState.Applied)
        {
            Assert.Equal(MklVendorDispatchState.NotNeeded, again.State);
            Assert.Contains("already treats this CPU as Intel", again.Detail);
        }
        else Assert.NotEqual(MklVendorDispatchState.Applied, again.State); // never applied late
    }

    [Fact]
    public void ProductsUnderTheChosenKernelsMatchADoublePrecisionReference()
    {
        // The i_dense shape (tokens × 768 → 3,200), which MKL's AVX-512 kernel runs once dispatched.
        const int m = 96, k = 768, n = 3200;
        using var scope = NewDisposeScope();
        var generator = new global::TorchSharp.torch.Generator(17);
        var a = randn(m, k, generator: generator);
        var w = randn(n, k, generator: generator);
        float[] product = nn.functional.linear(a, w).data<float>().ToArray();
        float[] av = a.data<float>().ToArray(), wv = w.data<float>().ToArray();
        double worst = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double exact = 0, magnitude = 0;
                for (int t = 0; t < k; t++)
                {
                    double term = (double)av[i * k + t] * wv[j * k + t];
                    exact += term;
                    magnitude += Math.Abs(term);
                }
                worst = Math.Max(worst, Math.Abs(product[i * n + j] - exact) / magnitude);
            }
        Assert.True(worst < 1e-5, $"worst error {worst:E2} of the absolute sum ({MklVendorDispatch.EnsureApplied()})");
    }

    [Theory]
    [InlineData("keep", null, null, MklVendorDispatchState.Kept, "as shipped")]
    [InlineData("KEEP", null, null, MklVendorDispatchState.Kept, "as shipped")]
    [InlineData("sometimes", null, null, MklVendorDispatchState.Declined, "neither keep nor lift")]
    [InlineData("lift", "MKL_CBWR", "AVX2", MklVendorDispatchState.Declined, "configured by the user")]
    [InlineData(null, "MKL_CBWR", "AUTO", MklVendorDispatchState.Declined, "configured by the user")]
    [InlineData("lift", "MKL_ENABLE_INSTRUCTIONS", "AVX2", MklVendorDispatchState.Declined, "configured by the user")]
    internal void SettingsAreHonouredBeforeAnythingIsRead(string? setting, string? mklVariable, string? mklValue, MklVendorDispatchState expected, string reason)
    {
        var environment = Environment((MklVendorDispatch.SettingVariable, setting!), (mklVariable ?? "unused", mklValue!));
        var result = MklVendorDispatch.Apply(environment, optedIn: true, () => Cpu("AuthenticAMD", 0x1A, "avx512f"));
        Assert.Equal(expected, result.State);
        Assert.Contains(reason, result.Detail);
    }

    [Theory]
    [InlineData(null, null, MklVendorDispatchState.Kept, "did not opt in")]
    [InlineData("", false, MklVendorDispatchState.Kept, "did not opt in")]
    [InlineData("keep", true, MklVendorDispatchState.Kept, "=keep")]
    internal void AHostThatDidNotOptInKeepsMklAsShipped(string? setting, bool? optedIn, MklVendorDispatchState expected, string reason)
    {
        bool cpuRead = false;
        var result = MklVendorDispatch.Apply(Environment((MklVendorDispatch.SettingVariable, setting!)), optedIn,
            () => { cpuRead = true; return Cpu("AuthenticAMD", 0x1A, "avx512f"); });
        Assert.Equal(expected, result.State);
        Assert.Contains(reason, result.Detail);
        Assert.False(cpuRead, "a declined setting reads nothing, libtorch included");
    }

    [Theory]
    [InlineData("lift", null)] // the environment opts in for an application that did not
    [InlineData(null, true)]
    public void EitherTheApplicationOrTheEnvironmentOptsIn(string? setting, bool? optedIn)
    {
        var result = MklVendorDispatch.Apply(Environment((MklVendorDispatch.SettingVariable, setting!)), optedIn, () => Cpu("GenuineIntel", 6, "avx512f"));
        Assert.Equal(MklVendorDispatchState.NotNeeded, result.State); // it went on to read the CPU
    }

    [Theory]
    [InlineData("lift", "GenuineIntel", 6, "avx512f", "MKL's own dispatch")]
    [InlineData("lift", "AuthenticAMD", 0x1A, "avx2", "no AVX-512")]
    [InlineData(null, "GenuineIntel", 6, "avx512f", "MKL's own dispatch")] // the application opted in
    [InlineData("", "AuthenticAMD", 0x19, "avx2", "no AVX-512")]
    public void LiftingTouchesOnlyAnAmdCpuWithAvx512(string? setting, string vendor, int family, string flag, string reason)
    {
        var result = MklVendorDispatch.Apply(Environment((MklVendorDispatch.SettingVariable, setting!)), optedIn: true, () => Cpu(vendor, family, flag));
        Assert.Equal(MklVendorDispatchState.NotNeeded, result.State);
        Assert.Contains(reason, result.Detail);
    }

    [Fact]
    public void OnlyTheKnownInstructionSequenceIsDecoded()
    {
        // mov eax, [rip+0x0998671A]; test eax, eax; js +1; ret — as libtorch 2.10's MKL begins its vendor check.
        byte[] known = [0x8B, 0x05, 0x1A, 0x67, 0x98, 0x09, 0x85, 0xC0, 0x78, 0x01, 0xC3];
        Assert.Equal(6L + 0x0998671A, MklVendorDispatch.VendorCheckCacheOffset(known));
        byte[] negative = [0x8B, 0x05, 0xF0, 0xFF, 0xFF, 0xFF, 0x85, 0xC0, 0x78, 0x01, 0xC3];
        Assert.Equal(6L - 16, MklVendorDispatch.VendorCheckCacheOffset(negative));
        for (int i = 0; i < known.Length; i++)
        {
            if (i is >= 2 and < 6) continue; // the displacement may be anything
            byte[] altered = (byte[])known.Clone();
            altered[i] ^= 0x01;
            Assert.Null(MklVendorDispatch.VendorCheckCacheOffset(altered));
        }
        Assert.Null(MklVendorDispatch.VendorCheckCacheOffset(known.AsSpan(0, 10)));
    }

    [Fact]
    public void OnlyWritableDataOfTheCodesOwnFileQualifies()
    {
        string maps = string.Join('\n',
            "7f0000000000-7f0000100000 r-xp 00000000 08:01 42 /opt/native/libtorch_cpu.so",
            "7f0000200000-7f0000300000 rw-p 00200000 08:01 42 /opt/native/libtorch_cpu.so",
            "7f0000400000-7f0000500000 rw-p 00000000 08:01 43 /elsewhere/libtorch_cpu.so",
            "7f0000600000-7f0000700000 rw-p 00000000 00:00 0 ",
            "7f0000800000-7f0000900000 r--p 00300000 08:01 42 /opt/native/libtorch_cpu.so");
        nint code = At(0x7f0000000100);
        Assert.True(MklVendorDispatch.IsWritableDataOfTheSameFile(code, At(0x7f0000200000), maps));
        Assert.True(MklVendorDispatch.IsWritableDataOfTheSameFile(code, At(0x7f00002ffffc), maps));
        Assert.False(MklVendorDispatch.IsWritableDataOfTheSameFile(code, At(0x7f00002ffffe), maps)); // the int would cross the end
        Assert.False(MklVendorDispatch.IsWritableDataOfTheSameFile(code, At(0x7f0000000200), maps)); // code, not writable
        Assert.False(MklVendorDispatch.IsWritableDataOfTheSameFile(code, At(0x7f0000400100), maps)); // same name, another file
        Assert.False(MklVendorDispatch.IsWritableDataOfTheSameFile(code, At(0x7f0000600100), maps)); // anonymous
        Assert.False(MklVendorDispatch.IsWritableDataOfTheSameFile(code, At(0x7f0000800100), maps)); // read-only data (relro)
        Assert.False(MklVendorDispatch.IsWritableDataOfTheSameFile(At(0x7f0000600100), At(0x7f0000600200), maps)); // "code" not executable
    }
}
