using GauMLNet.Checkpoints;
using GauMLNet.Configuration;
using GauMLNet.Modeling;
using GauMLNet.Storage;
using GauMLNet.Tests.Support;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Faults;

/// <summary>These force collections on another thread, so they run alone (RunsAloneCollection says why).</summary>
[Collection(RunsAloneCollection.Name)]
public sealed class NativeCallCollectionStressTests(ITestOutputHelper output)
{
    private static string FixtureFile(string name) => Path.Combine(TestPaths.TinyModel, name);

    [Fact]
    public void PickleAndStateDictLoadingSurviveGarbageCollectionDuringNativeCalls()
    {
        // AFL's pickle target crashed libtorch (segfaults in at::native::clone) when a collection finalized a temporary view
        // while libtorch still read it. Collections forced on another thread widen that window. A race, so this is a stress
        // check rather than a reproducer: the old code survived it too in three runs; docs/fuzzing.md has the AFL figures.
        string bin = FixtureFile("pytorch_model.bin");
        var config = GauAlphaConfig.Load(FixtureFile("config.json"));
        using var model = new GauAlphaForMaskedLM(config, tiedDecoder: !SafeTensorsFile.Read(File.ReadAllBytes(FixtureFile("model.safetensors")), "fixture")
            .ContainsKey(CheckpointFiles.DecoderWeightName));
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        })
        { IsBackground = true };
        collector.Start();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int loads = 0;
            for (; loads < 200 && clock.Elapsed < TimeSpan.FromSeconds(3); loads++)
            {
                var tensors = TorchPickleReader.Load(bin);
                try { StateDictLoader.Load(model, tensors, bin); }
                finally { foreach (var t in tensors.Values) t.Dispose(); }
            }
            output.WriteLine($"{loads} loads of the torch fixture into the model under continuous garbage collection");
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
    }
}
