using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace GauMLNet.Runtime;

/// <summary>
/// Keeps glibc from giving every large tensor a fresh mapping while training runs on the CPU. glibc serves each block over
/// its mmap threshold (never more than 32 MB) with a new mmap and unmaps it when freed, so the kernel page-faults and
/// zeroes every such tensor anew; training at base width allocates dozens of them per step from batch 8 × n 512 up
/// (x·W_i alone is 52 MB). While a scope is open no block is mmapped and the heap is not trimmed, so freed blocks are
/// reused; when the last scope closes glibc's defaults return (as fixed values: an explicit setting ends glibc's own
/// threshold adjustment) and the next free hands the memory back. Linux with glibc only; elsewhere a no-op.
/// Inference needs none of this: it runs in row chunks below 32 MB (GauLayerStack).
/// </summary>
public static class LargeBlockHeap
{
    // mallopt parameters and glibc's defaults (malloc.h, malloc.c).
    private const int TrimThresholdParameter = -1, MmapMaxParameter = -4;
    private const int DefaultTrimThreshold = 128 * 1024, DefaultMmapMax = 65536;
    private static readonly object Gate = new();
    private static readonly IDisposable NoScope = new Scope(open: false);
    private static int OpenScopes;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    /// <summary>True where the setting takes effect (Linux with glibc).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && IsGlibc();

    /// <summary>Keeps large blocks in the heap until the returned scope is disposed; scopes nest and may overlap across threads.</summary>
    public static IDisposable Keep()
    {
        if (!IsSupported) return NoScope;
        lock (Gate)
        {
            if (OpenScopes++ == 0)
            {
                Mallopt(MmapMaxParameter, 0);
                Mallopt(TrimThresholdParameter, int.MaxValue);
            }
        }
        return new Scope(open: true);
    }

    /// <summary><see cref="Keep()"/> for training on <paramref name="device"/>: only the CPU's memory comes from malloc.</summary>
    public static IDisposable KeepWhileTrainingOn(Device device) => device.type == TorchSharp.DeviceType.CPU ? Keep() : NoScope;

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

    private sealed class Scope(bool open) : IDisposable
    {
        private int _open = open ? 1 : 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _open, 0) == 1) Release();
        }
    }
}
