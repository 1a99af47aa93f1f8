using GauMLNet.Configuration;
using GauMLNet.Engines;
using GauMLNet.Onnx.Tests.Support;
using GauMLNet.Scoring;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using GauMLNet.Text;

namespace GauMLNet.Onnx.Tests;

/// <summary>The onnxruntime engine through GauMLNet.Core's engine seam.</summary>
public sealed class EngineTests
{
    private const string Vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n我\n们\n你\n好\n是\n的\n不\n天\n气\n很\na\nb\nc\n";

    private static GauModelPackage Package(GauTask task, int outputs, SequencePooling pooling = SequencePooling.First, IReadOnlyDictionary<string, byte[]>? engineFiles = null)
    {
        var config = RandomGau.TinyConfig() with { VocabSize = 18 };
        var weights = RandomGau.Weights(config, seed: 3, headOutputs: task == GauTask.Embedding ? 0 : outputs);
        var spec = new GauTaskSpec
        {
            Task = task,
            TextColumns = ["Text"],
            OutputColumns = [task == GauTask.Embedding ? "Embedding" : "Score"],
            Outputs = outputs,
            Pooling = pooling,
            Engine = OnnxNames.EngineName,
            BatchSize = 2,
        };
        return GauModelPackage.Create(spec, config, Vocab, SafeTensorsFile.ToBytes(weights), engineFiles);
    }

    private static PaddedBatch Batch(params int[][] rows) =>
        PaddedBatch.Collate(rows.Select(r => new EncodedText(r, r.Select((_, i) => i >= 3 ? 1 : 0).ToArray(), false)).ToArray(), padId: 0);

    [Fact]
    public void TheFactoryScoresPackagesWithWeightsOrAnOnnxMember()
    {
        var factory = new OnnxRuntimeEngineFactory();
        Assert.Equal("onnxruntime", factory.Name);
        var package = Package(GauTask.Classification, 3);
        Assert.True(factory.CanScore(package));
        var withOnnx = GauOnnxExporter.AddTo(package);
        Assert.True(withOnnx.Members.ContainsKey(OnnxNames.ModelMember));
        Assert.Equal(OnnxNames.EngineName, withOnnx.Spec.Engine);

        var batch = Batch([2, 5, 6, 7, 3], [2, 8, 3]);
        using var exported = factory.Create(package, new EngineOptions { Threads = 1 });
        using var stored = factory.Create(withOnnx, new EngineOptions());
        var a = exported.Run(batch);
        var b = stored.Run(batch);
        Assert.Equal([2, 3], a.Shape);
        Assert.Equal(a.Values, b.Values);
        Assert.StartsWith("onnxruntime fp32 on cpu (1 threads", exported.Description);
    }

    [Fact]
    public void TheEngineReturnsRawLogitsScoresAndEmbeddings()
    {
        var batch = Batch([2, 5, 6, 7, 3], [2, 8, 3]);
        var classification = Package(GauTask.Classification, 4);
        using (var engine = new OnnxRuntimeEngineFactory().Create(classification, new EngineOptions()))
        {
            var logits = engine.Run(batch);
            var direct = OnnxRunner.RunOnce(GauOnnxExporter.Export(classification), Rows(batch.InputIds, batch), Rows(batch.TokenTypeIds, batch), Rows(batch.AttentionMask, batch));
            Assert.Equal(direct[OnnxNames.Logits].Values, logits.Values); // logits, not probabilities
        }
        using (var engine = new OnnxRuntimeEngineFactory().Create(Package(GauTask.Regression, 1), new EngineOptions()))
            Assert.Equal([2, 1], engine.Run(batch).Shape);
        using (var engine = new OnnxRuntimeEngineFactory().Create(Package(GauTask.Embedding, 32, SequencePooling.Mean), new EngineOptions()))
            Assert.Equal([2, 32], engine.Run(batch).Shape);
    }

    private static long[][] Rows(long[] values, PaddedBatch batch) =>
        Enumerable.Range(0, batch.Rows).Select(r => values.AsSpan(r * batch.Length, batch.Length).ToArray()).ToArray();

    [Fact]
    public void RunIsThreadSafeAndDisposeReleasesTheSession()
    {
        var engine = new OnnxRuntimeEngineFactory().Create(Package(GauTask.Classification, 2), new EngineOptions { Threads = 2 });
        var batches = Enumerable.Range(0, 16).Select(i => Batch(Enumerable.Range(0, 3 + i % 5).Select(t => 2 + (t * 7 + i) % 16).ToArray(), [2, 9, 3])).ToArray();
        var sequential = batches.Select(b => engine.Run(b).Values).ToArray();
        var parallel = new float[batches.Length][];
        Parallel.For(0, batches.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i % batches.Length] = engine.Run(batches[i % batches.Length]).Values);
        for (int i = 0; i < batches.Length; i++) Assert.Equal(sequential[i], parallel[i]);
        engine.Dispose();
        engine.Dispose();
        Assert.Throws<ObjectDisposedException>(() => engine.Run(batches[0]));
    }

    [Fact]
    public void AnEngineAskedForByNameMustBeInstalled()
    {
        var package = GauOnnxExporter.AddTo(Package(GauTask.Classification, 3));
        var missing = Assert.Throws<InvalidOperationException>(() => GauTaskModel.Load(package, engine: "no-such-engine"));
        Assert.Contains("The no-such-engine engine is not installed", missing.Message);
        using var model = GauTaskModel.Load(package, engine: "onnxruntime", threads: 1); // by name, any case
        Assert.StartsWith("onnxruntime", model.Engine.Description);
    }

    [Fact]
    public void ATaskModelFindsTheInstalledEngineAndAppliesSoftmax()
    {
        var package = GauOnnxExporter.AddTo(Package(GauTask.Classification, 3), new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8 });
        Assert.IsType<OnnxRuntimeEngineFactory>(GauEngines.For(package));
        using var model = GauTaskModel.Load(package);
        Assert.StartsWith("onnxruntime int8", model.Engine.Description);
        var encoded = model.Encode([["我们很好"], ["天气不好"], ["abc"]], out _);
        var scores = model.Score(encoded);
        Assert.All(scores, s => Assert.Equal(1.0, s.Sum(), 5));
    }

    [Fact]
    public void CudaWithoutTheGpuPackageIsAClearErrorAndACpuFallbackScores()
    {
        // This test process references Microsoft.ML.OnnxRuntime (CPU): its ONNX Runtime has no CUDA provider.
        Assert.DoesNotContain(ExecutionProviders.Cuda, Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders());
        var package = Package(GauTask.Regression, 1);
        var error = Assert.Throws<NotSupportedException>(() => new OnnxRuntimeEngineFactory().Create(package, new EngineOptions { Device = "cuda:0" }));
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", error.Message);
        Assert.Contains("cuda:0", error.Message);
        using var fallback = new OnnxRuntimeEngineFactory().Create(package, new EngineOptions { Device = "cuda:0,cpu" });
        Assert.Contains("on cpu", fallback.Description);
    }

    [Fact]
    public void TheApplicationHasTheLastWordOnEachSession()
    {
        var seen = new List<int>();
        var factory = new OnnxRuntimeEngineFactory { ConfigureSession = options => seen.Add(options.IntraOpNumThreads) };
        using (var engine = factory.Create(Package(GauTask.Regression, 1), new EngineOptions { Threads = 1 }))
            Assert.Contains("on cpu", engine.Description);
        Assert.Equal([1], seen); // called once, after GauMLNet's own settings

        // What the hook sets reaches ONNX Runtime: a provider this build lacks, appended by the hook, fails the session.
        var asking = new OnnxRuntimeEngineFactory { ConfigureSession = options => options.AppendExecutionProvider_CUDA(0) };
        var error = Assert.ThrowsAny<Exception>(() => asking.Create(Package(GauTask.Regression, 1), new EngineOptions()).Dispose());
        Assert.Contains("CUDA", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(GauTask.Classification)]
    [InlineData(GauTask.TokenClassification)]
    public void ABatchScoredInSeveralCallsGivesTheValuesOfOneCall(GauTask task)
    {
        var package = Package(task, 3);
        var batch = Batch([2, 5, 6, 7, 3], [2, 8, 3], [2, 9, 9, 9, 9, 3], [2, 3], [2, 14, 15, 3]); // 5 rows of 6 tokens
        using var whole = new OnnxRuntimeEngineFactory { TokensPerCall = 0 }.Create(package, new EngineOptions());
        using var split = new OnnxRuntimeEngineFactory { TokensPerCall = 12 }.Create(package, new EngineOptions()); // 2 + 2 + 1 rows
        using var rowByRow = new OnnxRuntimeEngineFactory { TokensPerCall = 1 }.Create(package, new EngineOptions()); // at least one row a call
        var expected = whole.Run(batch);
        Assert.Equal(task == GauTask.TokenClassification ? [5, 6, 3] : [5, 3], expected.Shape);
        foreach (var engine in new[] { split, rowByRow })
        {
            var actual = engine.Run(batch);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Values.Length, actual.Values.Length);
            for (int i = 0; i < expected.Values.Length; i++)
                Assert.True(Math.Abs(expected.Values[i] - actual.Values[i]) <= 1e-6, $"value {i}: {expected.Values[i]} vs {actual.Values[i]}");
        }
    }

    [Fact]
    public void WithoutAThreadCountEverySessionGetsOneThreadPerProcessor()
    {
        // ONNX Runtime's own default (0) counts physical cores and can find one on a two-core virtual machine.
        var seen = new List<int>();
        var factory = new OnnxRuntimeEngineFactory { ConfigureSession = options => seen.Add(options.IntraOpNumThreads) };
        using var engine = (OnnxRuntimeEngine)factory.Create(Package(GauTask.Regression, 1), new EngineOptions());
        Assert.Equal([Environment.ProcessorCount], seen);
        Assert.Equal(Environment.ProcessorCount, engine.Threads);
        Assert.Contains($"({Environment.ProcessorCount} threads", engine.Description);
    }

    [Theory]
    [InlineData("auto", "CPU", "cpu")]
    [InlineData("cpu", "CPU,CUDA", "cpu")]
    [InlineData("cuda", "CPU,CUDA", "cuda:0")]
    [InlineData("cuda:1", "CPU,CUDA", "cuda:1")]
    [InlineData("cuda:1,cpu", "CPU,CUDA", "cuda:1 cpu")]
    [InlineData("cuda:1,cpu", "CPU", "cpu")]
    public void TheDeviceSelectsTheProvider(string device, string available, string expected)
    {
        var providers = available.Split(',').Select(p => p + "ExecutionProvider").ToArray();
        var candidates = ExecutionProviders.For(device, providers);
        Assert.Equal(expected, string.Join(' ', candidates.Select(c => c.DeviceName)));
        Assert.All(candidates, c => Assert.Equal(c.CudaDevice is null ? ExecutionProviders.Cpu : ExecutionProviders.Cuda, c.Provider));
    }

    [Fact]
    public void BFloat16RunsInFp32AndSaysSo()
    {
        using var engine = new OnnxRuntimeEngineFactory().Create(Package(GauTask.Regression, 1), new EngineOptions { Precision = InferencePrecision.BFloat16 });
        Assert.Contains("bf16 requested", engine.Description);
    }
}
