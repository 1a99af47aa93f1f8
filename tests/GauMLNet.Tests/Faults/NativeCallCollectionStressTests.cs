using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp.Backend;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using Xunit.Abstractions;
using static TorchSharp.torch;

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
        int loads = UnderContinuousCollection(GC.MaxGeneration, TimeSpan.Zero, TimeSpan.FromSeconds(3), 200, () =>
        {
            var tensors = TorchPickleReader.Load(bin);
            try { StateDictLoader.Load(model, tensors, bin); }
            finally { foreach (var t in tensors.Values) t.Dispose(); }
        });
        output.WriteLine($"{loads} loads of the torch fixture into the model under continuous garbage collection");
    }

    [Fact]
    public void ForwardBackwardAndOptimizerStepsSurviveGarbageCollectionDuringNativeCalls()
    {
        // CI once failed predicting with a saved classifier: `a + b` in the embeddings passed TorchSharp's temporary
        // alpha = 1, a collection freed it mid-call, and c10's Scalar::toFloat check fired. Every tensor sum, the norms,
        // the heads' losses and the optimizer step now pass held Scalars (TemporaryScalarTests guards that from the IL).
        // The race is rare per call — a bare `a + b` loop under this collector failed 5 times in 1,868,000 calls, a held
        // alpha 0 in 1,834,293 — so this is a stress check of the whole path, not a reproducer.
        var config = GauAlphaConfig.Tiny with { NumHiddenLayers = 1 };
        using var classifier = TaskNetworkFactory.Create(GauTask.Classification, config, 3, SequencePooling.First);
        using var tagger = TaskNetworkFactory.Create(GauTask.TokenClassification, config, 9, SequencePooling.First, EntityHead.Crf);
        using var pointer = TaskNetworkFactory.Create(GauTask.TokenClassification, config, 2, SequencePooling.First, EntityHead.GlobalPointer);
        var parameters = classifier.named_parameters().Select(p => (p.name, p.parameter, 0.01)).ToArray();
        using var optimizer = new GauMLNet.TorchSharp.Training.AdamW(parameters, 1e-3);
        using var ids = randint(5, config.VocabSize, [2, 12]);
        using var types = zeros(2, 12, ScalarType.Int64);
        using var mask = ones(2, 12, ScalarType.Int64);
        using var labels = tensor(new long[] { 0, 2 });
        using var tags = randint(0, 9, [2, 12]);
        using var tokenMask = zeros(2, 12, ScalarType.Bool); // the characters: not [CLS] (0), not [SEP] (11)
        tokenMask[.., 1..11] = tensor(true);
        using var spans = zeros(2, 2, 12, 12);
        int collections = GC.CollectionCount(0);
        int steps = UnderContinuousCollection(0, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(6), 2_000, () =>
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            nn.functional.cross_entropy(classifier.call(ids, types, mask), labels).backward();
            optimizer.Step();
            var crf = (GauAlphaForTokenClassification)tagger;
            crf.Loss(crf.call(ids, types, mask), tags, tokenMask, null).backward();
            var globalPointer = (GauAlphaForTokenClassification)pointer;
            globalPointer.Loss(globalPointer.call(ids, types, mask), tags, tokenMask, spans).backward();
        });
        collections = GC.CollectionCount(0) - collections;
        output.WriteLine($"{steps} training steps of a classifier, a CRF tagger and a GlobalPointer under {collections} garbage collections");
        // How many steps fit in the time depends on the test process's heap; what matters is that they ran through
        // many collections.
        Assert.True(steps >= 3 && collections >= 100, $"{steps} steps under {collections} collections: the loop checked next to nothing");
    }

    /// <summary>
    /// Runs <paramref name="work"/> until the time or the count is up while another thread collects up to
    /// <paramref name="generation"/> without pause; returns the count. A temporary dies young, so generation 0 finds
    /// it. Back-to-back collections stall a thread at every return from native code, so <paramref name="pause"/> lets
    /// the work run between them.
    /// </summary>
    private static int UnderContinuousCollection(int generation, TimeSpan pause, TimeSpan time, int most, Action work)
    {
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(generation);
                GC.WaitForPendingFinalizers();
                if (pause > TimeSpan.Zero) Thread.Sleep(pause);
            }
        })
        { IsBackground = true };
        collector.Start();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int done = 0;
            for (; done < most && clock.Elapsed < time; done++) work();
            return done;
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
    }
}
