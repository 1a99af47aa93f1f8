using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GauMLNet.TorchSharp.Runtime;

/// <summary>What <see cref="MklVendorDispatch"/> did in this process.</summary>
internal enum MklVendorDispatchState
{
    /// <summary>MKL's vendor check left as shipped: the application did not opt in, or <see cref="MklVendorDispatch.SettingVariable"/>=keep.</summary>
    Kept,
    /// <summary>Asked for, but nothing to do: not an AMD CPU with AVX-512, or not Linux x64, or MKL already treats it as Intel.</summary>
    NotNeeded,
    /// <summary>MKL runs its AVX-512 kernels in its bit-reproducible (CNR, strict) mode.</summary>
    Applied,
    /// <summary>MKL had already made its choice before GauMLNet's first code ran; it stands for this process.</summary>
    TooLate,
    /// <summary>MKL is configured by the user (MKL_CBWR, MKL_ENABLE_INSTRUCTIONS), or the setting has an unknown value.</summary>
    Declined,
    /// <summary>This libtorch's MKL is not the one we know, or refused its reproducible mode; left as shipped.</summary>
    NotRecognized,
}

/// <summary>The outcome and, in words, why.</summary>
internal sealed record MklVendorDispatchResult(MklVendorDispatchState State, string Detail)
{
    public override string ToString() => $"{State}: {Detail}";
}

/// <summary>
/// Lets the Intel MKL inside libtorch choose its matrix kernels by what an AMD CPU can do rather than by who made it,
/// in MKL's bit-reproducible mode. MKL, linked statically into libtorch_cpu.so, asks once (<c>mkl_serv_intel_cpu_true</c>)
/// whether cpuid's vendor is GenuineIntel and otherwise takes slower kernels even on a CPU with AVX-512. Measured on
/// AMD EPYC Zen 5, 2 threads, the model's projection shapes: sgemm 151–185 GFLOP/s as shipped, 395–421 once the answer
/// is "Intel" (and 428.8 with the reproducible mode below, the benchmark's ceiling). The answer is cached in a variable the
/// function reads first (<c>mov eax, [rip+cache]; test eax, eax; js compute; ret</c>); before MKL's first call we swap
/// its "not yet asked" (-1) for 1. We locate the variable by decoding exactly that instruction sequence (and its
/// sibling <c>mkl_serv_intel_cpu</c>'s, whose own cache must be unasked too) and write only into the writable data of
/// the same file as the code; anything else leaves libtorch untouched and says why.
/// Lifted alone, identical runs were not bit-identical (1 of 6 tiny `gau train` runs, 2 of 19 kill-and-resume runs), and
/// GauMLNet promises that a resumed run ends with the uninterrupted run's model. The drift we traced was in MKL's vector
/// math (libtorch's erfinv in the initializer, whose AVX-512 results changed with the thread split; the initializer now
/// inverts erf itself). For the matrix kernels the lift also sets MKL's conditional numerical reproducibility in strict
/// mode (<c>MKL_CBWR=AVX512,STRICT</c>, through <c>mkl_serv_cbwr_set</c>, read back): the same inputs give the same
/// bits on the same CPU and thread count whatever the buffers' alignment, at no measured cost to the GEMM ceiling. If
/// MKL refuses it, the vendor check is put back as it was. MKL still reads the CPU's feature bits to choose among its
/// kernels; that it runs nothing this CPU lacks rests on those checks and on the test suite passing under it.
/// Off unless the application opts in (<see cref="ProcessSettings"/>: the MSBuild property GauMklVendorDispatch, or
/// GAUMLNET_MKL_VENDOR_CHECK=lift; =keep leaves MKL as shipped whatever the project says), and MKL_CBWR or
/// MKL_ENABLE_INSTRUCTIONS set by the user are left alone. MKL decides once per process, so this runs as GauMLNet's
/// module initializer — before GauMLNet's first code runs; an application that opted in and runs TorchSharp products
/// itself before touching GauMLNet should call <see cref="EnsureApplied"/> first.
/// </summary>
internal static class MklVendorDispatch
{
    /// <summary>"lift" applies it on an AMD CPU with AVX-512; "keep" leaves MKL's vendor check as shipped; unset, the application's switch decides.</summary>
    public const string SettingVariable = "GAUMLNET_MKL_VENDOR_CHECK";
    private const string Library = "libtorch_cpu.so";
    private const int NotYetAsked = -1, Intel = 1;
    // mkl_cbwr_set's settings (mkl_service.h): the AVX-512 branch, strict (alignment-independent); 0 is success.
    private const int CbwrAvx512 = 12, CbwrStrict = 0x10000, CbwrSuccess = 0, CbwrAll = -1;
    private const string CbwrSet = "mkl_serv_cbwr_set", CbwrGet = "mkl_serv_cbwr_get";
    // Each function begins mov eax, [rip+disp32] (8B 05 disp32), then this tail: test eax,eax; js +1; ret — and
    // cmp eax,-1; je +1; ret.
    private static readonly (string Name, byte[] Tail) VendorCheck = ("mkl_serv_intel_cpu_true", [0x85, 0xC0, 0x78, 0x01, 0xC3]);
    private static readonly (string Name, byte[] Tail) SiblingCheck = ("mkl_serv_intel_cpu", [0x83, 0xF8, 0xFF, 0x74, 0x01, 0xC3]);

    // The CPU is read only when lifting is not declined by a setting.
    private static readonly Lazy<MklVendorDispatchResult> Outcome =
        new(() => Apply(Environment.GetEnvironmentVariable, ProcessSettings.AppSwitch(ProcessSettings.MklVendorDispatchSwitch), () => CpuCapabilities.Current));

    /// <summary>Applies the setting once per process and returns what was done (later calls return the first outcome).</summary>
    public static MklVendorDispatchResult EnsureApplied() => Outcome.Value;

#pragma warning disable CA2255 // A module initializer on purpose: MKL's choice is made at the process's first matrix product (it acts only if the application opted in).
    [ModuleInitializer]
    internal static void OnLoad() => EnsureApplied();
#pragma warning restore CA2255

    /// <summary>The decision and the write for a given environment, application switch and CPU; calling it again finds 1 and leaves it.</summary>
    internal static MklVendorDispatchResult Apply(Func<string, string?> environment, bool? optedIn, Func<CpuCapabilities> readCpu)
    {
        try { return Decide(environment, optedIn, readCpu); }
        catch (Exception ex) // never fail loading GauMLNet over a speed setting: the outcome records why
        {
            return new(MklVendorDispatchState.NotRecognized, $"libtorch could not be inspected ({ex.GetType().Name}: {ex.Message})");
        }
    }

    private static MklVendorDispatchResult Decide(Func<string, string?> environment, bool? optedIn, Func<CpuCapabilities> readCpu)
    {
        string? setting = environment(SettingVariable)?.Trim().ToLowerInvariant();
        if (setting is not (null or "" or "keep" or "lift"))
            return new(MklVendorDispatchState.Declined, $"{SettingVariable}={setting} is neither keep nor lift: MKL left as shipped");
        if (setting == "keep")
            return new(MklVendorDispatchState.Kept, $"MKL's vendor check as shipped ({SettingVariable}=keep): no AVX-512 kernels on AMD");
        if (setting != "lift" && optedIn != true)
            return new(MklVendorDispatchState.Kept, $"MKL as shipped: the application did not opt in ({ProcessSettings.MklVendorDispatchSwitch}, " +
                $"<GauMklVendorDispatch>true</GauMklVendorDispatch> or {SettingVariable}=lift)");
        foreach (string mklSetting in new[] { "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS" })
            if (!string.IsNullOrEmpty(environment(mklSetting)))
                return new(MklVendorDispatchState.Declined, $"{mklSetting}={environment(mklSetting)}: MKL is configured by the user");
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return new(MklVendorDispatchState.NotNeeded, "only Linux x64 libtorch is handled");
        var cpu = readCpu();
        if (cpu.Vendor != "AuthenticAMD")
            return new(MklVendorDispatchState.NotNeeded, $"CPU vendor {cpu.Vendor}: MKL's own dispatch applies");
        if (!cpu.Avx512F)
            return new(MklVendorDispatchState.NotNeeded, "no AVX-512: MKL's AVX2 kernels are this CPU's best");

        global::TorchSharp.torch.InitializeDeviceType(global::TorchSharp.DeviceType.CPU); // loads libtorch; runs no MKL routine
        if (!NativeLibrary.TryLoad(Library, out IntPtr library)) // by soname: the copy TorchSharp loaded
            return new(MklVendorDispatchState.NotRecognized, $"{Library} is not loaded in this process");
        string maps = File.ReadAllText("/proc/self/maps");
        if (!NativeLibrary.TryGetExport(library, CbwrSet, out IntPtr cbwrSet) || !NativeLibrary.TryGetExport(library, CbwrGet, out IntPtr cbwrGet))
            return new(MklVendorDispatchState.NotRecognized, $"{Library} exports no {CbwrSet}/{CbwrGet}: MKL's reproducible mode is out of reach");
        var caches = new List<IntPtr>();
        foreach (var (name, tail) in new[] { VendorCheck, SiblingCheck })
        {
            if (!NativeLibrary.TryGetExport(library, name, out IntPtr code))
                return new(MklVendorDispatchState.NotRecognized, $"{Library} exports no {name} (a libtorch built without MKL?)");
            var bytes = new byte[6 + tail.Length];
            Marshal.Copy(code, bytes, 0, bytes.Length);
            if (CacheOffset(bytes, tail) is not { } offset)
                return new(MklVendorDispatchState.NotRecognized, $"{name} begins {Convert.ToHexString(bytes)}, not the sequence this was written for");
            var cache = (IntPtr)((long)code + offset);
            if (!IsWritableDataOfTheSameFile(code, cache, maps))
                return new(MklVendorDispatchState.NotRecognized, $"{name}'s cache 0x{cache:x} is not in the writable data of the file holding its code");
            caches.Add(cache);
        }
        if (Marshal.ReadInt32(caches[0]) == Intel) return new(MklVendorDispatchState.NotNeeded, "MKL already treats this CPU as Intel");
        if (Marshal.ReadInt32(caches[1]) != NotYetAsked)
            return new(MklVendorDispatchState.TooLate, "MKL asked for the CPU's vendor before GauMLNet's first code ran; its choice stands for this process");
        int before = SwapIfNotYetAsked(caches[0]);
        if (before == Intel) return new(MklVendorDispatchState.NotNeeded, "MKL already treats this CPU as Intel");
        if (before != NotYetAsked)
            return new(MklVendorDispatchState.TooLate, "MKL chose its kernels before GauMLNet's first code ran (a matrix product ran first); they stand for this process");
        int reproducible = CbwrAvx512 | CbwrStrict;
        int status = CallWithInt(cbwrSet, reproducible), now = CallWithInt(cbwrGet, CbwrAll);
        if (status != CbwrSuccess || now != reproducible)
        {
            Interlocked.Exchange(ref CacheOf(caches[0]), NotYetAsked); // MKL asks for itself again, as shipped
            return new(MklVendorDispatchState.NotRecognized, $"MKL refused its reproducible AVX-512 mode ({CbwrSet} returned {status}, mode now 0x{now:x}); vendor check put back as shipped");
        }
        return new(MklVendorDispatchState.Applied, $"MKL runs its AVX-512 kernels by this CPU's features ({string.Join(", ", cpu.PresentRelevantFlags)}), bit-reproducible (CNR AVX512, strict)");
    }

    // mkl_serv_cbwr_set(int settings) and mkl_serv_cbwr_get(int what) both take an int and return one.
    private static unsafe int CallWithInt(IntPtr function, int argument) => ((delegate* unmanaged<int, int>)function)(argument);
    private static unsafe ref int CacheOf(IntPtr cache) => ref *(int*)cache;

    // Atomic, so an MKL call racing us on another thread either sees -1 and asks itself, or sees our 1.
    private static int SwapIfNotYetAsked(IntPtr cache) => Interlocked.CompareExchange(ref CacheOf(cache), Intel, NotYetAsked);

    /// <summary>
    /// For code that starts <c>8B 05 disp32</c> (mov eax, [rip+disp32]) followed by <paramref name="tail"/>, the cached
    /// answer's offset from the code's start (rip after the 6-byte mov, plus disp32); null for anything else.
    /// </summary>
    internal static long? CacheOffset(ReadOnlySpan<byte> code, ReadOnlySpan<byte> tail)
    {
        if (code.Length < 6 + tail.Length || code[0] != 0x8B || code[1] != 0x05 || !code.Slice(6, tail.Length).SequenceEqual(tail)) return null;
        return 6L + BitConverter.ToInt32(code[2..6]);
    }

    /// <summary>The known vendor check's offset (for tests of the decoder).</summary>
    internal static long? VendorCheckCacheOffset(ReadOnlySpan<byte> code) => CacheOffset(code, VendorCheck.Tail);

    /// <summary>
    /// Whether <paramref name="data"/> (4 bytes) lies in a writable mapping of the same file (device and inode) as the
    /// executable mapping holding <paramref name="code"/>, per the text of /proc/self/maps.
    /// </summary>
    internal static bool IsWritableDataOfTheSameFile(IntPtr code, IntPtr data, string maps)
    {
        var mappings = maps.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Mapping.Parse).OfType<Mapping>().ToList();
        if (mappings.FirstOrDefault(m => m.Executable && m.Contains((ulong)code, 1)) is not { Inode: not "0" } text) return false;
        return mappings.Any(m => m.Writable && m.Device == text.Device && m.Inode == text.Inode && m.Contains((ulong)data, sizeof(int)));
    }

    private sealed record Mapping(ulong Start, ulong End, bool Writable, bool Executable, string Device, string Inode)
    {
        public bool Contains(ulong address, int bytes) => address >= Start && address + (ulong)bytes <= End;

        public static Mapping? Parse(string line)
        {
            // start-end perms offset dev inode [path]
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5 || fields[0].Split('-') is not [string start, string end] || fields[1].Length < 4) return null;
            if (!ulong.TryParse(start, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong s)
                || !ulong.TryParse(end, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong e)) return null;
            return new(s, e, fields[1][1] == 'w', fields[1][2] == 'x', fields[3], fields[4]);
        }
    }
}
