using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Runtime;

/// <summary>
/// Keeps glibc from giving every large tensor a fresh mapping while training runs on the CPU. glibc serves each block over
/// its mmap threshold (never more than 32 MB) with a new mmap and unmaps it when freed, so the kernel page-faults and
/// zeroes every such tensor anew; training at base width allocates dozens of them per step from batch 8 × n 512 up
/// (x·W_i alone is 52 MB). While a scope is open no block is mmapped and the heap is not trimmed, so freed blocks are
/// reused; when the last scope closes glibc's defaults return (as fixed values: an explicit setting ends glibc's own
/// threshold adjustment) and the next free hands the memory back. Linux with glibc only; elsewhere a no-op.
/// Inference mostly needs none of this: it runs in row chunks below 32 MB (GauLayerStack). A single long row (a document
/// of thousands of tokens) cannot be split, so from its first call with such a row until it is disposed the TorchSharp
/// engine keeps large blocks (<see cref="KeepWhileScoringOn"/>): layers and calls then reuse each other's blocks.
/// The price is memory: freed blocks stay with the process and a heap fragments, so a step's footprint can grow past its
/// live peak (measured: +40 % at base width, n 2,048; a Transformer writing out 12 heads' attention at n 2,048 was killed
/// for memory). Trainers therefore call <see cref="Scope.GiveBackIfMemoryIsShort"/> after each step: once the machine's
/// available memory falls below what the process holds, large blocks are mapped again and free heap pages go back.
/// </summary>
internal static class LargeBlockHeap
{
    // mallopt parameters and glibc's defaults (malloc.h, malloc.c).
    private const int TrimThresholdParameter = -1, MmapMaxParameter = -4;
    private const int DefaultTrimThreshold = 128 * 1024, DefaultMmapMax = 65536;
    // The setting a scope holds: no block mmapped, the heap's top trimmed only above 2 GB (mallopt takes an int).
    private const int KeptMmapMax = 0, KeptTrimThreshold = int.MaxValue;
    private static readonly object Gate = new();
    private static readonly Scope NoScope = new(open: false);
    private static int OpenScopes;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    /// <summary>True where the setting takes effect (Linux with glibc).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && IsGlibc();

    /// <summary>Keeps large blocks in the heap until the returned scope is disposed; scopes nest and may overlap across threads.</summary>
    public static Scope Keep()
    {
        if (!IsSupported) return NoScope;
        lock (Gate)
        {
            if (OpenScopes++ == 0)
            {
                Mallopt(MmapMaxParameter, KeptMmapMax);
                Mallopt(TrimThresholdParameter, KeptTrimThreshold);
            }
        }
        return new Scope(open: true);
    }

    /// <summary>
    /// <see cref="Keep()"/> for training on <paramref name="device"/> when the application opted in
    /// (<see cref="ProcessSettings.KeepsLargeBlocks"/>): only the CPU's memory comes from malloc.
    /// </summary>
    public static Scope KeepWhileTrainingOn(Device device) => OptedInOn(device) ? Keep() : NoScope;

    /// <summary>
    /// <see cref="Keep()"/> for an inference engine on <paramref name="device"/> whose rows are too long to run in pieces
    /// below glibc's mmap ceiling, when the application opted in (<see cref="ProcessSettings.KeepsLargeBlocks"/>).
    /// </summary>
    public static Scope KeepWhileScoringOn(Device device)
    {
        if (!OptedInOn(device) || !IsSupported) return NoScope;
        ScoringScopesOnThisThread++;
        return Keep();
    }

    /// <summary>Scopes <see cref="KeepWhileScoringOn"/> opened on this thread; for tests.</summary>
    [ThreadStatic] internal static int ScoringScopesOnThisThread;

    private static bool OptedInOn(Device device) => device.type == global::TorchSharp.DeviceType.CPU && ProcessSettings.KeepsLargeBlocks;

    /// <summary>The same setting in glibc's environment form, for a process started with it (the benchmark's PyTorch peer).</summary>
    internal static IReadOnlyDictionary<string, string> AsEnvironment { get; } = new Dictionary<string, string>
    {
        ["MALLOC_MMAP_MAX_"] = KeptMmapMax.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MALLOC_TRIM_THRESHOLD_"] = KeptTrimThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes the machine can still give (MemAvailable) and bytes this process holds (VmRSS); null where unknown.</summary>
    internal static Func<(long Available, long Held)?> ReadMemory { get; set; } = ReadProcMemory;

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    private static (long Available, long Held)? ReadProcMemory()
    {
        try
        {
            long? available = KilobytesOf("/proc/meminfo", "MemAvailable:"), held = KilobytesOf("/proc/self/status", "VmRSS:");
            return available is { } a && held is { } h ? (a * 1024, h * 1024) : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static long? KilobytesOf(string path, string key) =>
        File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) is { } line
        && long.TryParse(line[key.Length..].Trim().Split(' ')[0], out long kilobytes) ? kilobytes : null;

    private static void Release()
    {
        lock (Gate)
        {
            if (--OpenScopes != 0) return;
            Mallopt(MmapMaxParameter, DefaultMmapMax);
            Mallopt(TrimThresholdParameter, DefaultTrimThreshold);
        }
    }

    [DllImport("libc", EntryPoint = "gnu_get_libc_version")]
    private static extern IntPtr GnuGetLibcVersion();

    private static bool IsGlibc()
    {
        try { return GnuGetLibcVersion() != IntPtr.Zero; }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException) { return false; } // musl, or no libc by that name
    }

    /// <summary>One hold on the setting; disposing it (or giving back early) releases the hold once.</summary>
    public sealed class Scope : IDisposable
    {
        private int _open;

        internal Scope(bool open) => _open = open ? 1 : 0;

        /// <summary>Whether this scope still holds the setting.</summary>
        public bool IsOpen => Volatile.Read(ref _open) == 1;

        /// <summary>
        /// Call between steps. When the machine's available memory is below what this process already holds — a fragmented
        /// heap could ask for that much again — this scope lets go: with no other scope open, large blocks are mapped again
        /// and free heap pages are returned (malloc_trim). Training goes on, slower. Returns true when it let go now.
        /// </summary>
        public bool GiveBackIfMemoryIsShort(Action<string>? log = null)
        {
            if (!IsOpen || ReadMemory() is not { } memory || memory.Available >= memory.Held) return false;
            if (Interlocked.Exchange(ref _open, 0) != 1) return false;
            Release();
            MallocTrim(0);
            log?.Invoke($"memory is short ({memory.Available >> 20} MB available, this process holds {memory.Held >> 20} MB): " +
                        "large blocks are mapped afresh again for the rest of this run (slower steps, no heap growth)");
            return true;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _open, 0) == 1) Release();
        }
    }
}
