using System.Diagnostics;
using System.Text.Json;
using GauMLNet.Configuration;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using GauMLNet.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>
/// One training case's throughput, peak memory and where a step's time goes. TokensPerCpuSecond divides by the process's
/// CPU time per libtorch thread instead of wall time: on a machine shared with other jobs it is the steadier figure.
/// </summary>
internal sealed record MixedPrecisionCase(string Precision, int N, int Batch, double TokensPerSecond, double TokensPerCpuSecond, double PeakMegabytes,
    double Gflops, double SyncMs, double ForwardMs, double BackwardMs, double GradientsMs, double OptimizerMs);

/// <summary>
/// (j) bf16 mixed-precision training against fp32: the base-width GAU-α stack (d 768, e 1536, s 128, 4 layers, batch 8)
/// trained as the library trains it — fp32 AdamW on fp32 master weights; in bf16, forward and backward on the bf16
/// working copy (<see cref="MixedPrecision{TModule}"/>) with the gradients accumulated into the masters. Each
/// (precision, length) runs in a fresh child process, so its peak memory is its own.
/// </summary>
internal static class MixedPrecisionTraining
{
    private const string KindPrefix = "gau-train-";

    public static bool Handles(string kind) => kind is KindPrefix + "fp32" or KindPrefix + "bf16";

    public static List<MixedPrecisionCase> Measure(bool smoke)
    {
        int[] lengths = smoke ? [64] : [128, 512, 1024];
        int batch = smoke ? 1 : 8;
        var cases = new List<MixedPrecisionCase>();
        foreach (int n in lengths)
        {
            var fp32 = RunInChild("fp32", n, batch);
            var bf16 = RunInChild("bf16", n, batch);
            cases.Add(fp32);
            cases.Add(bf16);
            Console.WriteLine($"(j) training n={n,5}: fp32 {fp32.TokensPerSecond:F0} tok/s, peak {fp32.PeakMegabytes:F0} MB; bf16 {bf16.TokensPerSecond:F0} tok/s, " +
                              $"peak {bf16.PeakMegabytes:F0} MB; bf16/fp32 {bf16.TokensPerSecond / fp32.TokensPerSecond:F2}× " +
                              $"(per CPU-second {bf16.TokensPerCpuSecond / fp32.TokensPerCpuSecond:F2}×) " +
                              $"(bf16 step ms: sync {bf16.SyncMs:F0}, forward {bf16.ForwardMs:F0}, backward {bf16.BackwardMs:F0}, gradients {bf16.GradientsMs:F0}, AdamW {bf16.OptimizerMs:F0})");
        }
        return cases;
    }

    private static MixedPrecisionCase RunInChild(string precision, int n, int batch) =>
        Cases.RunInChild<MixedPrecisionCase>(KindPrefix + precision, n, batch, Cases.DefaultLayers);

    /// <summary>A child: gau-train-fp32 or gau-train-bf16 at length n; prints one JSON line.</summary>
    public static int RunChild(string kind, int n, int batch, int layers)
    {
        var precision = TrainingPrecisionNames.Parse(kind[KindPrefix.Length..]);
        using var heap = LargeBlockHeap.Keep(); // as the library's trainers do on the CPU
        torch.manual_seed(0);
        var config = new GauAlphaConfig
        {
            HiddenSize = 768,
            EmbeddingSize = 768,
            IntermediateSize = 1536,
            AttentionKeySize = 128,
            NumHiddenLayers = layers,
            HiddenDropoutProb = 0,
            AttentionProbsDropoutProb = 0,
        };
        // The layer stack is what is measured: the embeddings and the MLM head are frozen, so neither the optimizer nor Sync touch them.
        using var master = new GauAlphaForMaskedLM(config);
        ParameterInitialization.Apply(master, config with { Initializer = "lecun_normal" });
        foreach (var p in master.Backbone.Embeddings.parameters().Concat(master.Head.parameters())) p.requires_grad = false;
        master.train();
        using var optimizer = GauMLNet.TorchSharp.Training.AdamW.ForTrainableParameters(master, 1e-4, weightDecay: 0.01);
        using var mixed = MixedPrecision.For(precision, master);
        // The input stands for the embeddings' output (in the compute type), which needs a gradient too.
        var x = randn(batch, n, 768).to(mixed is null ? ScalarType.Float32 : MixedPrecision<GauAlphaForMaskedLM>.ComputeType).requires_grad_(true);
        var mask = ones(batch, n, dtype: ScalarType.Bool);
        var phases = new double[5];
        var clock = new Stopwatch();
        void Phase(int index, Action action)
        {
            clock.Restart();
            action();
            phases[index] += clock.Elapsed.TotalMilliseconds;
        }
        void Step()
        {
            using var scope = NewDisposeScope();
            GauAlphaForMaskedLM network = master;
            Tensor loss = null!;
            Phase(0, () => network = mixed?.Sync() ?? master);
            Phase(1, () => loss = network.Backbone.Encoder.call(x, mask).to(ScalarType.Float32).square().mean());
            Phase(2, () => { optimizer.ZeroGrad(); loss.backward(); });
            Phase(3, () => mixed?.AccumulateGradients());
            Phase(4, () => optimizer.Step());
            heap.GiveBackIfMemoryIsShort(Console.Error.WriteLine);
        }
        int repeats = n >= 1024 ? 3 : 4;
        Step(); // warm-up
        double best = double.MaxValue, bestCpu = double.MaxValue;
        double[] bestPhases = new double[5];
        using var self = Process.GetCurrentProcess();
        for (int i = 0; i < repeats; i++)
        {
            Array.Clear(phases);
            self.Refresh();
            var cpu = self.TotalProcessorTime;
            var total = Stopwatch.StartNew();
            Step();
            double seconds = total.Elapsed.TotalSeconds;
            self.Refresh();
            bestCpu = Math.Min(bestCpu, (self.TotalProcessorTime - cpu).TotalSeconds / torch.get_num_threads());
            if (seconds < best)
            {
                best = seconds;
                phases.CopyTo(bestPhases, 0);
            }
        }
        double tokens = (double)batch * n;
        double gflops = 3 * Cases.GauFlopsPerToken(n, layers) * tokens / best / 1e9; // forward + backward
        Console.WriteLine(JsonSerializer.Serialize(new MixedPrecisionCase(precision.ShortName(), n, batch, tokens / best, tokens / bestCpu, ProcessMemory.PeakMegabytes,
            gflops, bestPhases[0], bestPhases[1], bestPhases[2], bestPhases[3], bestPhases[4])));
        return 0;
    }
}
