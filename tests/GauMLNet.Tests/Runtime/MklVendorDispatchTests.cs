using GauMLNet.Runtime;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Runtime;

public class MklVendorDispatchTests
{
    private static CpuCapabilities Cpu(string vendor, params string[] flags) =>
        new() { Vendor = vendor, Flags = new HashSet<string>(flags, StringComparer.Ordinal) };

    private static nint At(long address) => (nint)address;

    [Fact]
    public void OnThisMachineTheOutcomeFollowsTheCpu()
    {
        var cpu = CpuCapabilities.Current;
        var result = MklVendorDispatch.Result;
        bool amdWithAvx512 = OperatingSystem.IsLinux() && cpu.Vendor == "AuthenticAMD" && cpu.Avx512F;
        if (Environment.GetEnvironmentVariable(MklVendorDispatch.OptOutVariable) is "keep")
            Assert.Equal(MklVendorDispatchState.Declined, result.State);
        else if (amdWithAvx512)
            Assert.True(result.State == MklVendorDispatchState.Applied, $"{cpu.ModelName}: {result}"); // GauMLNet.dll loads before any product here
        else
            Assert.Equal(MklVendorDispatchState.NotNeeded, result.State);
    }

    [Fact]
    public void AppliedOnceTheCacheHoldsIntelAndASecondPassLeavesIt()
    {
        if (MklVendorDispatch.Result.State != MklVendorDispatchState.Applied)
        {
            Assert.NotEqual(MklVendorDispatchState.Applied, MklVendorDispatch.Apply(null, Cpu("GenuineIntel", "avx512f")).State);
            return; // nothing was written in this process: the rest is about a written cache
        }
        var again = MklVendorDispatch.Apply(null, CpuCapabilities.Current);
        Assert.Equal(MklVendorDispatchState.NotNeeded, again.State);
        Assert.Contains("already treats this CPU as Intel", again.Detail);
    }

    [Fact]
    public void ProductsUnderTheChosenKernelsMatchADoublePrecisionReference()
    {
        // The i_dense shape (tokens × 768 → 3,200) that MKL's AVX-512 kernel runs once dispatched; any wrong kernel is far off.
        const int m = 96, k = 768, n = 3200;
        using var scope = NewDisposeScope();
        var generator = new Generator(17);
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
        Assert.True(worst < 1e-5, $"worst error {worst:E2} of the absolute sum ({MklVendorDispatch.Result})");
    }

    [Fact]
    public void OptingOutIsHonouredBeforeAnythingIsRead()
    {
        var result = MklVendorDispatch.Apply("keep", Cpu("AuthenticAMD", "avx512f"));
        Assert.Equal(MklVendorDispatchState.Declined, result.State);
        Assert.Contains(MklVendorDispatch.OptOutVariable, result.Detail);
    }

    [Theory]
    [InlineData("GenuineIntel", "avx512f", "MKL's own dispatch")]
    [InlineData("AuthenticAMD", "avx2", "no AVX-512")]
    public void OnlyAnAmdCpuWithAvx512IsTouched(string vendor, string flag, string reason)
    {
        var result = MklVendorDispatch.Apply(null, Cpu(vendor, flag));
        Assert.Equal(MklVendorDispatchState.NotNeeded, result.State);
        Assert.Contains(reason, result.Detail);
    }

    [Fact]
    public void OnlyTheKnownInstructionSequenceIsDecoded()
    {
        // mov eax, [rip+0x0998671A]; test eax, eax; js +1; ret — as libtorch 2.10's MKL begins its vendor check.
        byte[] known = [0x8B, 0x05, 0x1A, 0x67, 0x98, 0x09, 0x85, 0xC0, 0x78, 0x01, 0xC3];
        Assert.Equal(6L + 0x0998671A, MklVendorDispatch.CacheOffset(known));
        byte[] negative = [0x8B, 0x05, 0xF0, 0xFF, 0xFF, 0xFF, 0x85, 0xC0, 0x78, 0x01, 0xC3];
        Assert.Equal(6L - 16, MklVendorDispatch.CacheOffset(negative));
        for (int i = 0; i < known.Length; i++)
        {
            if (i is >= 2 and < 6) continue; // the displacement may be anything
            byte[] altered = (byte[])known.Clone();
            altered[i] ^= 0x01;
            Assert.Null(MklVendorDispatch.CacheOffset(altered));
        }
        Assert.Null(MklVendorDispatch.CacheOffset(known.AsSpan(0, 10)));
    }

    [Fact]
    public void OnlyAWritableMappingOfTheLibraryQualifies()
    {
        string maps = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(maps,
            [
                "7f0000000000-7f0000100000 r-xp 00000000 08:01 42 /opt/native/libtorch_cpu.so",
                "7f0000200000-7f0000300000 rw-p 00200000 08:01 42 /opt/native/libtorch_cpu.so",
                "7f0000400000-7f0000500000 rw-p 00000000 08:01 43 /opt/native/libnot_libtorch_cpu.so.bak",
                "7f0000600000-7f0000700000 rw-p 00000000 00:00 0 ",
            ]);
            Assert.True(MklVendorDispatch.IsWritableDataOf(At(0x7f0000200000), "libtorch_cpu.so", maps));
            Assert.True(MklVendorDispatch.IsWritableDataOf(At(0x7f00002ffffc), "libtorch_cpu.so", maps));
            Assert.False(MklVendorDispatch.IsWritableDataOf(At(0x7f00002ffffe), "libtorch_cpu.so", maps)); // the int would cross the end
            Assert.False(MklVendorDispatch.IsWritableDataOf(At(0x7f0000000100), "libtorch_cpu.so", maps)); // code, read-only
            Assert.False(MklVendorDispatch.IsWritableDataOf(At(0x7f0000400100), "libtorch_cpu.so", maps)); // another file
            Assert.False(MklVendorDispatch.IsWritableDataOf(At(0x7f0000600100), "libtorch_cpu.so", maps)); // anonymous
        }
        finally { File.Delete(maps); }
    }
}
