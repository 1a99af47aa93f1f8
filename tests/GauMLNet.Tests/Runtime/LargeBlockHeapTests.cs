using System.Runtime.InteropServices;
using GauMLNet.Configuration;
using GauMLNet.Engines;
using GauMLNet.Tasks;
using GauMLNet.Tests.Support;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Backend;
using GauMLNet.TorchSharp.Modeling;
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
    public void TheTorchSharpEngineKeepsLargeBlocksOnceARowIsTooLongToScoreInPiecesUntilItIsDisposed()
    {
        Skip.IfNot(LargeBlockHeap.IsSupported, "this is not Linux with glibc, where LargeBlockHeap does nothing");
        var full = GauAlphaConfig.Tiny with { NumHiddenLayers = 1, VocabSize = 32 };
        var mixed = full with { Attention = "mixed_chunk", ChunkSize = 64 };
        int expected = ProcessSettings.KeepsLargeBlocks ? 1 : 0; // the tests opt in; GAUMLNET_LARGE_BLOCK_HEAP=off must leave it alone
        // Widest temporary of one row, fp32: full attention's map n² · 4 bytes, 36 MB at n 3,000 (over glibc's 32 MB ceiling);
        // at n 256 and in mixed-chunk's chunks (n · 576 · 4 bytes for x·W_i) it stays well under.
        Assert.Equal(expected, ScoringScopesOfCalls(full, 3000, 3000, 256)); // one hold for the engine, not one per call
        Assert.Equal(0, ScoringScopesOfCalls(full, 256));
        Assert.Equal(0, ScoringScopesOfCalls(mixed, 3000));
        Assert.Equal(1, MappedBlocksForOneAllocation(After)); // the hold ended with the engine
    }

    private static int ScoringScopesOfCalls(GauAlphaConfig config, params int[] lengths)
    {
        var network = TaskNetworkFactory.Create(GauTask.Classification, config, 2, SequencePooling.Mean);
        TaskNetworks.Initialize(network, config, seed: 1);
        int before = LargeBlockHeap.ScoringScopesOnThisThread;
        using (var engine = new TorchSharpInferenceEngine(network, new EngineOptions { Device = "cpu" }))
        {
            foreach (int n in lengths)
            {
                var row = new EncodedText(Enumerable.Range(0, n).Select(i => 4 + i % 20).ToArray(), new int[n], Truncated: false);
                var output = engine.Run(PaddedBatch.Collate([row], padId: 0));
                Assert.All(output.Values, v => Assert.True(float.IsFinite(v)));
                if (LargeBlockHeap.ScoringScopesOnThisThread > before) Assert.Equal(0, MappedBlocksForOneAllocation(Inside)); // held between calls
            }
        }
        return LargeBlockHeap.ScoringScopesOnThisThread - before;
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
