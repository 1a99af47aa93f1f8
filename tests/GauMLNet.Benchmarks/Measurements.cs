using System.Diagnostics;
using System.Text.Json;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>Best-of-several wall-clock timing of an action after a warm-up.</summary>
internal static class Timer
{
    /// <summary>The best of as many runs as fit in <paramref name="budgetSeconds"/> after one warm-up (at least <paramref name="minimumRuns"/>).</summary>
    public static double BestWithin(Action action, double budgetSeconds, int minimumRuns)
    {
        action();
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int runs = 0; runs < minimumRuns || total.Elapsed.TotalSeconds < budgetSeconds; runs++)
        {
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    public static double BestSeconds(Action action, int repeats, int warmups = 1)
    {
        for (int i = 0; i < warmups; i++) action();
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}

/// <summary>Resident memory of this process, from /proc (Linux).</summary>
internal static class ProcessMemory
{
    public static double Megabytes(string field)
    {
        if (!File.Exists("/proc/self/status")) return double.NaN;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    public static double PeakMegabytes => Megabytes("VmHWM");
    public static double ResidentMegabytes => Megabytes("VmRSS");
}

internal sealed record CaseResult(double TokensPerSecond, double PeakMegabytes, double Gflops);

/// <summary>(b)–(e): one model, one length, inference or training, in a fresh process.</summary>
internal static class Cases
{
    /// <summary>The benchmark's base width: d 768, e 1536, s 128, no dropout.</summary>
    public static readonly GauAlphaConfig BaseWidth = new()
    {
        HiddenSize = 768,
        EmbeddingSize = 768,
        IntermediateSize = 1536,
        AttentionKeySize = 128,
        NumHiddenLayers = DefaultLayers,
        HiddenDropoutProb = 0,
        AttentionProbsDropoutProb = 0,
    };

    /// <summary>Forward matmul FLOPs per token of the GAU stack at length n.</summary>
    public static double GauFlopsPerToken(long n, int layers = DefaultLayers)
    {
        double d = BaseWidth.HiddenSize, e = BaseWidth.IntermediateSize, s = BaseWidth.AttentionKeySize;
        return layers * (2 * d * (2 * e + s) + 2 * e * d + 2.0 * n * (s + e));
    }

    /// <summary>Forward matmul FLOPs per token of the Transformer stack (half as many layers) at length n.</summary>
    public static double TransformerFlopsPerToken(long n, int layers = DefaultLayers) => layers / 2 * TransformerLayer.FlopsPerToken(n);

    /// <summary>GAU layers per case (the Transformer gets half as many).</summary>
    public const int DefaultLayers = 4;

    /// <summary>Set in child processes; a child never starts children of its own.</summary>
    public const string ChildMarker = "GAUMLNET_BENCHMARK_CHILD";

    public static CaseResult RunInChild(string kind, int n, int batch, int layers = DefaultLayers) => RunInChild<CaseResult>(kind, n, batch, layers);

    /// <summary>Runs <c>--case KIND N BATCH LAYERS</c> in a fresh child process and reads its last output line as a <typeparamref name="T"/>.</summary>
    public static T RunInChild<T>(string kind, int n, int batch, int layers)
    {
        if (Environment.GetEnvironmentVariable(ChildMarker) is not null) throw new InvalidOperationException("A benchmark child tried to start another child.");
        // Run under the same host: the apphost directly, or `dotnet GauMLNet.Benchmarks.dll` when started through dotnet.
        string host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileName(host).StartsWith("dotnet", StringComparison.OrdinalIgnoreCase)) start.ArgumentList.Add(typeof(Cases).Assembly.Location);
        foreach (string a in new[] { "--case", kind, n.ToString(), batch.ToString(), layers.ToString() }) start.ArgumentList.Add(a);
        start.Environment[ChildMarker] = "1";
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"benchmark case {kind} n={n} failed (exit {child.ExitCode}): {output}");
        return JsonSerializer.Deserialize<T>(output.Trim().Split('\n')[^1])!;
    }

    /// <summary>
    /// Kinds are model-attention-mode: gau|transformer, fused|explicit, infer|train; and
    /// gau-fused-train-checkpointed for GAU-α training with gradient checkpointing.
    /// </summary>
    public static int RunChild(string kind, int n, int batch, int layers)
    {
        if (kind.StartsWith("engine-", StringComparison.Ordinal)) return EngineCases.RunChild(kind, n, batch);
        if (LongDocumentCases.Handles(kind)) return LongDocumentCases.RunChild(kind, n, chunk: batch, layers);
        if (kind is "qa-train" or "qa-infer") return QuestionCases.RunChild(questions: n, train: kind == "qa-train");
        if (kind.StartsWith("ner-", StringComparison.Ordinal)) return EntityCases.RunChild(kind[..kind.LastIndexOf('-')], sentences: n, train: kind.EndsWith("-train", StringComparison.Ordinal));
        string[] parts = kind.Split('-');
        bool checkpointed = kind == "gau-fused-train-checkpointed";
        if (!checkpointed && (parts.Length != 3 || parts[0] is not ("gau" or "transformer") || parts[1] is not ("fused" or "explicit") || parts[2] is not ("infer" or "train")))
            throw new ArgumentException($"Unknown benchmark case '{kind}': expected (gau|transformer)-(fused|explicit)-(infer|train) or gau-fused-train-checkpointed.");
        bool gau = parts[0] == "gau", writesAttentionOut = parts[1] == "explicit", train = parts[2] == "train";
        using var heap = train ? LargeBlockHeap.Keep() : null; // as the library's trainers do on the CPU
        torch.manual_seed(0);
        nn.Module model;
        Func<Tensor, Tensor, Tensor> forward;
        double flopsPerToken;
        if (gau)
        {
            var config = BaseWidth with { NumHiddenLayers = layers, GradientCheckpointing = checkpointed };
            var backbone = new GauAlphaModel(config);
            ParameterInitialization.Apply(backbone, config with { Initializer = "lecun_normal" });
            foreach (var layer in backbone.Layers) layer.Gau.ForcesExplicitAttention = writesAttentionOut;
            model = backbone;
            forward = backbone.Encoder.call;
            flopsPerToken = GauFlopsPerToken(n, layers);
        }
        else
        {
            var stack = new TransformerStack(layers / 2, writesAttentionOut); // two GAU layers per Attention+FFN layer
            model = stack;
            forward = stack.Forward;
            flopsPerToken = TransformerFlopsPerToken(n, layers);
        }
        // In training the input stands for embeddings, which need a gradient too.
        var x = randn(batch, n, 768).requires_grad_(train);
        var mask = ones(batch, n, dtype: ScalarType.Bool);
        int repeats = n >= 1024 ? 2 : 3;
        double seconds = TimeSteps(model, forward, x, mask, train, repeats, heap);
        if (train) flopsPerToken *= 3; // forward + backward
        double tokens = (double)batch * n;
        Console.WriteLine(JsonSerializer.Serialize(new CaseResult(tokens / seconds, ProcessMemory.PeakMegabytes, flopsPerToken * tokens / seconds / 1e9)));
        return 0;
    }

    /// <summary>
    /// The best of <paramref name="repeats"/> timed steps (after one warm-up): a forward pass without gradients, or a
    /// training step (forward, the mean square of the output as the loss, backward, AdamW).
    /// </summary>
    public static double TimeSteps(nn.Module model, Func<Tensor, Tensor, Tensor> forward, Tensor x, Tensor mask, bool train, int repeats, LargeBlockHeap.Scope? heap = null)
    {
        if (!train)
        {
            model.eval();
            return Timer.BestSeconds(() =>
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                forward(x, mask);
            }, repeats);
        }
        model.train();
        using var optimizer = GauMLNet.TorchSharp.Training.AdamW.ForTrainableParameters(model, 1e-4, weightDecay: 0.01);
        return Timer.BestSeconds(() =>
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            forward(x, mask).square().mean().backward();
            optimizer.Step();
            heap?.GiveBackIfMemoryIsShort(Console.Error.WriteLine);
        }, repeats);
    }
}

internal sealed record OverheadResult(double TransformRowsPerSecond, double RawRowsPerSecond, double Overhead);

/// <summary>(f) what the ML.NET pipeline costs over calling the encoder directly on the same rows.</summary>
internal static class MLNetOverhead
{
    public static OverheadResult Measure(bool smoke)
    {
        var ml = new MLContext(seed: 0);
        var texts = Enumerable.Range(0, smoke ? 64 : 2000).Select(i => new Row { Sentence = $"第{i}条评论：这个东西{(i % 2 == 0 ? "质量很好，物流很快" : "用了两天就坏了，很失望")}，{new string('好', i % 40)}" }).ToList();
        string vocab = Path.Combine(Path.GetTempPath(), "gaumlnet-bench-vocab.txt");
        Text.VocabularyBuilder.Save(Text.VocabularyBuilder.Build(texts.Select(t => t.Sentence)), vocab);
        var data = ml.Data.LoadFromEnumerable(texts);
        var config = GauAlphaConfig.Small with { NumHiddenLayers = 2 };
        var transformer = ml.Transforms.Text.GauTextEmbedding(new GauTextEmbeddingOptions { VocabPath = vocab, Config = config, Device = "cpu", MaxLength = 64 }).Fit(data);
        var raw = texts.Select(t => new string?[] { t.Sentence }).ToList();

        // Alternate the two (A B A B …) and keep each one's best, so machine noise hits both alike.
        double transform = double.MaxValue, direct = double.MaxValue;
        for (int i = 0; i < (smoke ? 2 : 5); i++)
        {
            transform = Math.Min(transform, Timer.BestSeconds(() => transformer.Transform(data).GetColumn<float[]>("Features").Count(), 1, warmups: i == 0 ? 1 : 0));
            direct = Math.Min(direct, Timer.BestSeconds(() => transformer.Model.Score(transformer.Model.Encode(raw, out _)).Length.ToString(), 1, warmups: i == 0 ? 1 : 0));
        }
        return new OverheadResult(texts.Count / transform, texts.Count / direct, transform / direct - 1);
    }

    private sealed class Row
    {
        public string Sentence { get; set; } = "";
    }
}

internal sealed record DriftResult(int Batches, double FirstMegabytes, double LastMegabytes);

/// <summary>Resident memory across many inference batches: dispose discipline, measured.</summary>
internal static class MemoryDrift
{
    public static DriftResult Measure(int batches)
    {
        using var encoder = GauAlphaEncoder.Create(new GauAlphaConfig
        {
            VocabSize = 300,
            HiddenSize = 64,
            EmbeddingSize = 64,
            IntermediateSize = 128,
            AttentionKeySize = 32,
            NumHiddenLayers = 3,
        }, "cpu", seed: 1);
        double first = double.NaN;
        var random = new Random(0);
        for (int i = 0; i < batches; i++)
        {
            using (var scope = NewDisposeScope())
            {
                var ids = randint(1, 300, [4, 16 + random.Next(48)]);
                encoder.Forward(ids);
            }
            if (i == batches / 10) { GC.Collect(); first = ProcessMemory.ResidentMegabytes; }
        }
        GC.Collect();
        return new DriftResult(batches, first, ProcessMemory.ResidentMegabytes);
    }
}

internal sealed record Bf16Result(bool Supported, double Speedup, double MaxAbsDifference, double RelativeRms);

/// <summary>bf16 inference against fp32 on the same weights and inputs: speed and accuracy cost.</summary>
internal static class Bf16Accuracy
{
    public static Bf16Result Measure(bool smoke)
    {
        var config = new GauAlphaConfig
        {
            HiddenSize = 768,
            EmbeddingSize = 768,
            IntermediateSize = 1536,
            AttentionKeySize = 128,
            NumHiddenLayers = 2,
            VocabSize = 12000,
        };
        using var model = TaskNetworks.CreateMaskedLM(config, seed: 0);
        model.eval();
        using var scope = NewDisposeScope();
        var ids = randint(1, 12000, [smoke ? 1 : 4, smoke ? 32 : 256]);
        var types = zeros_like(ids);
        var mask = ones_like(ids);
        using var _ = no_grad();
        Tensor fp32 = model.call(ids, types, mask);
        double fp32Seconds = Timer.BestSeconds(() => model.call(ids, types, mask), smoke ? 1 : 3);
        try
        {
            model.to(ScalarType.BFloat16);
            Tensor bf16 = model.call(ids, types, mask).to(ScalarType.Float32);
            double bf16Seconds = Timer.BestSeconds(() => model.call(ids, types, mask), smoke ? 1 : 3);
            double maxAbs = (bf16 - fp32).abs().max().item<float>();
            double relRms = ((bf16 - fp32).square().mean().sqrt() / fp32.square().mean().sqrt()).item<float>();
            return new Bf16Result(true, fp32Seconds / bf16Seconds, maxAbs, relRms);
        }
        catch (Exception)
        {
            return new Bf16Result(false, double.NaN, double.NaN, double.NaN);
        }
    }
}
