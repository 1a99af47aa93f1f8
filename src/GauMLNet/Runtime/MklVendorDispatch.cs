using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GauMLNet.Runtime;

/// <summary>What <see cref="MklVendorDispatch"/> did in this process.</summary>
public enum MklVendorDispatchState
{
    /// <summary>Nothing to do: not an AMD CPU with AVX-512, or not Linux x64.</summary>
    NotNeeded,
    /// <summary>MKL will pick its kernels by the CPU's features (AVX-512 on this CPU).</summary>
    Applied,
    /// <summary>MKL had already made its choice before GauMLNet was loaded; it stands for this process.</summary>
    TooLate,
    /// <summary>Turned off with <see cref="MklVendorDispatch.OptOutVariable"/>.</summary>
    Declined,
    /// <summary>This libtorch's MKL is not the one we know; left untouched.</summary>
    NotRecognized,
}

/// <summary>The outcome and, in words, why.</summary>
public sealed record MklVendorDispatchResult(MklVendorDispatchState State, string Detail)
{
    public override string ToString() => $"{State}: {Detail}";
}

/// <summary>
/// Lets the Intel MKL inside libtorch choose its matrix kernels by what an AMD CPU can do rather than by who made it.
/// MKL, linked statically into libtorch_cpu.so, asks once (<c>mkl_serv_intel_cpu_true</c>) whether cpuid's vendor is
/// GenuineIntel and otherwise takes its AVX2 kernels even on a CPU with AVX-512. Measured on AMD EPYC Zen 5, 2 threads,
/// the model's projection shapes: sgemm 175–184 GFLOP/s as shipped, 396–421 GFLOP/s once the answer is "Intel" — MKL
/// still reads the CPU's feature bits to choose among its kernels, so it runs no instruction the CPU lacks.
/// The answer is cached in a variable that function reads first (<c>mov eax, [rip+cache]; test eax, eax; js compute;
/// ret</c>); before MKL's first call we set it to 1. We locate the variable by decoding exactly that instruction
/// sequence and write only when the address lies in libtorch_cpu.so's writable data and still holds "not yet asked"
/// (-1); anything else leaves libtorch untouched and says why. MKL decides once per process, so this must run before
/// the first matrix product: GauMLNet.dll does it when it is loaded. Set GAUMLNET_MKL_VENDOR_CHECK=keep to turn it off.
/// </summary>
public static class MklVendorDispatch
{
    /// <summary>Set to "keep" to leave MKL's vendor check as shipped.</summary>
    public const string OptOutVariable = "GAUMLNET_MKL_VENDOR_CHECK";
    private const string Library = "libtorch_cpu.so";
    private const string VendorCheck = "mkl_serv_intel_cpu_true";
    private const int NotYetAsked = -1, Intel = 1;

    private static readonly Lazy<MklVendorDispatchResult> Outcome =
        new(() => Apply(Environment.GetEnvironmentVariable(OptOutVariable), CpuCapabilities.Current));

    /// <summary>What was done; the first read applies it.</summary>
    public static MklVendorDispatchResult Result => Outcome.Value;

    /// <summary>Applies the setting once per process (a no-op on later calls).</summary>
    public static MklVendorDispatchResult EnsureApplied() => Outcome.Value;

#pragma warning disable CA2255 // A library's module initializer on purpose: MKL's choice is made at the process's first matrix product.
    [ModuleInitializer]
    internal static void OnLoad() => EnsureApplied();
#pragma warning restore CA2255

    /// <summary>The decision and the write, for a given opt-out value and CPU; safe to call again (it then finds 1 and leaves it).</summary>
    internal static MklVendorDispatchResult Apply(string? optOut, CpuCapabilities cpu)
    {
        try { return Decide(optOut, cpu); }
        catch (Exception ex) // never fail loading GauMLNet over a speed setting: the outcome records why
        {
            return new(MklVendorDispatchState.NotRecognized, $"libtorch could not be inspected ({ex.GetType().Name}: {ex.Message})");
        }
    }

    private static MklVendorDispatchResult Decide(string? optOut, CpuCapabilities cpu)
    {
        if (string.Equals(optOut, "keep", StringComparison.OrdinalIgnoreCase))
            return new(MklVendorDispatchState.Declined, $"{OptOutVariable}=keep: MKL's vendor check left as shipped");
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return new(MklVendorDispatchState.NotNeeded, "only Linux x64 libtorch is handled");
        if (cpu.Vendor != "AuthenticAMD")
            return new(MklVendorDispatchState.NotNeeded, $"CPU vendor {cpu.Vendor}: MKL's own dispatch applies");
        if (!cpu.Avx512F)
            return new(MklVendorDispatchState.NotNeeded, "no AVX-512: MKL's AVX2 kernels are this CPU's best");

        TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU); // loads libtorch; runs no MKL routine
        if (!NativeLibrary.TryLoad(Library, out IntPtr library))
            return new(MklVendorDispatchState.NotRecognized, $"{Library} is not loaded in this process");
        if (!NativeLibrary.TryGetExport(library, VendorCheck, out IntPtr check))
            return new(MklVendorDispatchState.NotRecognized, $"{Library} exports no {VendorCheck} (a libtorch built without MKL?)");
        var code = new byte[11];
        Marshal.Copy(check, code, 0, code.Length);
        if (CacheOffset(code) is not { } offset)
            return new(MklVendorDispatchState.NotRecognized, $"{VendorCheck} begins {Convert.ToHexString(code)}, not the sequence this was written for");
        IntPtr cache = (IntPtr)((long)check + offset);
        if (!IsWritableDataOf(cache, Library))
            return new(MklVendorDispatchState.NotRecognized, $"{VendorCheck}'s cache 0x{cache:x} is not in {Library}'s writable data");
        int asked = Marshal.ReadInt32(cache);
        if (asked == Intel) return new(MklVendorDispatchState.NotNeeded, "MKL already treats this CPU as Intel");
        if (asked != NotYetAsked)
            return new(MklVendorDispatchState.TooLate, "MKL chose its kernels before GauMLNet was loaded (a matrix product ran first); they stand for this process");
        Marshal.WriteInt32(cache, Intel);
        return new(MklVendorDispatchState.Applied, $"MKL dispatches by CPU features ({string.Join(", ", cpu.PresentRelevantFlags)})");
    }

    /// <summary>
    /// For code that starts <c>8B 05 disp32 85 C0 78 01 C3</c> (mov eax, [rip+disp32]; test eax, eax; js +1; ret), the
    /// cached answer's offset from the code's start (rip after the 6-byte mov, plus disp32); null for anything else.
    /// </summary>
    internal static long? CacheOffset(ReadOnlySpan<byte> code)
    {
        ReadOnlySpan<byte> tail = [0x85, 0xC0, 0x78, 0x01, 0xC3];
        if (code.Length < 11 || code[0] != 0x8B || code[1] != 0x05 || !code[6..11].SequenceEqual(tail)) return null;
        return 6L + BitConverter.ToInt32(code[2..6]);
    }

    /// <summary>Whether <paramref name="address"/> lies in a writable mapping of <paramref name="library"/> (/proc/self/maps).</summary>
    internal static bool IsWritableDataOf(IntPtr address, string library, string maps = "/proc/self/maps")
    {
        ulong at = (ulong)address;
        foreach (string line in File.ReadLines(maps))
        {
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || !fields[1].StartsWith("rw", StringComparison.Ordinal)) continue;
            if (!fields[5].Trim().EndsWith("/" + library, StringComparison.Ordinal)) continue;
            string[] range = fields[0].Split('-');
            ulong start = ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong end = ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (at >= start && at + sizeof(int) <= end) return true;
        }
        return false;
    }
}
