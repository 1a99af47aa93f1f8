using System.Runtime.InteropServices;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp.Runtime;

namespace GauMLNet.Tests.Runtime;

/// <summary>The malloc settings are process-wide and the counts read here are too, so these run alone.</summary>
[Collection(RunsAloneCollection.Name)]
public sealed class LargeBlockHeapTests
{
    // All over glibc's largest mmap threshold (32 MB), so mmapped by default. A block freed inside a scope stays in the heap
    // and would serve a later request of its size, so the checks outside a scope ask for more than any block freed before.
    private const int Inside = 40 << 20, Before = 512 << 20, After = 768 << 20;

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, OrdinaryBlocks, SmallBlocks, MappedBlocks, MappedBytes, MaxTotal, FreeSmallBytes, Allocated, Free, TopReleasable;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 MallInfo();

    /// <summary>How many blocks glibc mmapped for one malloc of this many bytes (0 or 1); the pages are never touched.</summary>
    private static long MappedBlocksForOneAllocation(int bytes)
    {
        long before = (long)MallInfo().MappedBlocks;
        IntPtr block = Marshal.AllocHGlobal(bytes); // malloc on Unix
        try { return (long)MallInfo().MappedBlocks - before; }
        finally { Marshal.FreeHGlobal(block); }
    }

    [SkippableFact]
    public void ALargeBlockIsMappedOnlyOutsideAKeepScope()
    {
        Skip.IfNot(LargeBlockHeap.IsSupported, "this is not Linux with glibc, where LargeBlockHeap does nothing");
        Assert.Equal(1, MappedBlocksForOneAllocation(Before));
        using (LargeBlockHeap.Keep())
        {
            Assert.Equal(0, MappedBlocksForOneAllocation(Inside));
            using (LargeBlockHeap.Keep()) Assert.Equal(0, MappedBlocksForOneAllocation(Inside));
            Assert.Equal(0, MappedBlocksForOneAllocation(Inside)); // the inner scope's end does not end the outer one
        }
        Assert.Equal(1, MappedBlocksForOneAllocation(After)); // glibc's default is back
    }

    [SkippableFact]
    public void DisposingAScopeTwiceReleasesItOnce()
    {
        Skip.IfNot(LargeBlockHeap.IsSupported, "this is not Linux with glibc, where LargeBlockHeap does nothing");
        using var outer = LargeBlockHeap.Keep();
        var inner = LargeBlockHeap.Keep();
        inner.Dispose();
        inner.Dispose();
        Assert.Equal(0, MappedBlocksForOneAllocation(Inside));
    }

    [SkippableFact]
    public void AScopeLetsGoWhenAvailableMemoryFallsBelowWhatTheProcessHolds()
    {
        Skip.IfNot(LargeBlockHeap.IsSupported, "this is not Linux with glibc, where LargeBlockHeap does nothing");
        var real = LargeBlockHeap.ReadMemory;
        try
        {
            var messages = new List<string>();
            using var scope = LargeBlockHeap.Keep();
            LargeBlockHeap.ReadMemory = () => (Available: 8L << 30, Held: 2L << 30); // plenty left: keep holding
            Assert.False(scope.GiveBackIfMemoryIsShort(messages.Add));
            Assert.True(scope.IsOpen);
            Assert.Equal(0, MappedBlocksForOneAllocation(Inside));

            LargeBlockHeap.ReadMemory = () => (Available: 1L << 30, Held: 3L << 30); // a fragmented heap could need 3 GB more
            Assert.True(scope.GiveBackIfMemoryIsShort(messages.Add));
            Assert.False(scope.IsOpen);
            Assert.Equal(1, MappedBlocksForOneAllocation(After)); // mapped again: the setting is gone
            Assert.False(scope.GiveBackIfMemoryIsShort(messages.Add)); // once only
            Assert.Equal("memory is short (1024 MB available, this process holds 3072 MB): large blocks are mapped afresh again for the rest of this run (slower steps, no heap growth)", Assert.Single(messages));
        }
        finally { LargeBlockHeap.ReadMemory = real; }
        // Disposing the scope after it let go must not release another scope's hold.
        using var other = LargeBlockHeap.Keep();
        Assert.Equal(0, MappedBlocksForOneAllocation(Inside));
    }

    [SkippableFact]
    public void TheMachineAndProcessMemoryAreReadOnLinux()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "reads /proc");
        var memory = LargeBlockHeap.ReadMemory();
        Assert.NotNull(memory);
        Assert.True(memory.Value.Held >= 1L << 20, $"this test process holds only {memory.Value.Held} bytes by /proc/self/status");
        Assert.True(memory.Value.Available > 0, "MemAvailable read as 0");
    }
}
