using System.Text.Json;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>
/// (n) Long documents: full GAU attention against FLASH's mixed-chunk attention (chunk 256) at lengths 1k–16k, batch 1,
/// 4 layers of base width — inference and training tokens/s, and the training step's peak memory, each case in a fresh
/// child process. A case that does not finish (out of memory) is reported as such, not left out.
/// </summary>
internal static class LongDocumentCases
{
    public const int ChunkSize = 256;

    public sealed record Row(string Attention, int N, double? InferenceTokensPerSecond, double? TrainingTokensPerSecond, double? TrainingPeakMegabytes,
        double? InferencePeakMegabytes, string? Failure);

    public static bool Handles(string kind) => kind.StartsWith("long-", StringComparison.Ordinal);

    /// <summary>Measures every (attention, n) pair and prints one line per case.</summary>
    public static List<Row> Table(IReadOnlyList<int> lengths, int chunk = ChunkSize)
    {
        var rows = new List<Row>();
        foreach (int n in lengths)
            foreach (string attention in new[] { "mixed", "full" })
            {
                CaseResult? infer = null, train = null;
                string? failure = null;
                try
                {
                    infer = Cases.RunInChild($"long-{attention}-infer", n, batch: chunk, layers: Cases.DefaultLayers);
                    train = Cases.RunInChild($"long-{attention}-train", n, batch: chunk, layers: Cases.DefaultLayers);
                }
                catch (InvalidOperationException ex) { failure = ex.Message.Split('\n')[0]; }
                var row = new Row(attention == "mixed" ? "mixed-chunk" : "full", n, infer?.TokensPerSecond, train?.TokensPerSecond, train?.PeakMegabytes,
                    infer?.PeakMegabytes, failure);
                rows.Add(row);
                Console.WriteLine(failure is null
                    ? $"long {row.Attention} n={n} inference {row.InferenceTokensPerSecond:F0} tok/s training {row.TrainingTokensPerSecond:F0} tok/s peak {row.TrainingPeakMegabytes:F0} MB (training; inference {row.InferencePeakMegabytes:F0} MB)"
                    : $"long {row.Attention} n={n} did not finish: {failure}");
            }
        Summarize(rows);
        return rows;
    }

    // Linear growth (the time of one sequence at the longest length over the one before) and the crossover lengths.
    private static void Summarize(List<Row> rows)
    {
        var mixed = rows.Where(r => r.Attention == "mixed-chunk" && r.Failure is null).OrderBy(r => r.N).ToList();
        if (mixed.Count >= 2)
        {
            var (a, b) = (mixed[^2], mixed[^1]);
            double Growth(double? before, double? after) => b.N / after!.Value / (a.N / before!.Value);
            Console.WriteLine($"long mixed-chunk time({b.N})/time({a.N}): inference {Growth(a.InferenceTokensPerSecond, b.InferenceTokensPerSecond):F2}, " +
                              $"training {Growth(a.TrainingTokensPerSecond, b.TrainingTokensPerSecond):F2} (linear: {(double)b.N / a.N:F2})");
        }
        string Crossover(Func<Row, double?> speed)
        {
            foreach (var m in mixed)
            {
                var full = rows.FirstOrDefault(r => r.Attention == "full" && r.N == m.N);
                if (full is null || full.Failure is not null || speed(m) > speed(full)) return $"n={m.N}";
            }
            return "none measured";
        }
        Console.WriteLine($"long crossover (mixed-chunk faster than full from): inference {Crossover(r => r.InferenceTokensPerSecond)}, training {Crossover(r => r.TrainingTokensPerSecond)}");
    }

    /// <summary>One case: long-(full|mixed)-(infer|train) at length n; the batch argument carries the chunk size (batch is 1).</summary>
    public static int RunChild(string kind, int n, int chunk, int layers)
    {
        string[] parts = kind.Split('-');
        if (parts.Length != 3 || parts[1] is not ("full" or "mixed") || parts[2] is not ("infer" or "train"))
            throw new ArgumentException($"Unknown benchmark case '{kind}': expected long-(full|mixed)-(infer|train).");
        bool mixed = parts[1] == "mixed", train = parts[2] == "train";
        torch.manual_seed(0);
        var config = Cases.BaseWidth with { NumHiddenLayers = layers, Attention = mixed ? "mixed_chunk" : null, ChunkSize = mixed ? chunk : null };
        // Training as the trainers do; inference as the TorchSharp engine does once a row is too long for 32 MB pieces.
        using var heap = train ? LargeBlockHeap.Keep() : GauLayerStack.RowOutgrowsInferenceChunks(config, n, 4) ? LargeBlockHeap.KeepWhileScoringOn(CPU) : null;
        using var backbone = new GauAlphaModel(config);
        ParameterInitialization.Apply(backbone, config with { Initializer = "lecun_normal" });
        var x = randn(1, n, config.HiddenSize).requires_grad_(train);
        var mask = ones(1, n, dtype: ScalarType.Bool);
        int repeats = !mixed && n >= 8192 ? 1 : 3; // best of three, but one step of full attention at 16k takes minutes
        double seconds = Cases.TimeSteps(backbone, backbone.Encoder.call, x, mask, train, repeats, heap);
        Console.WriteLine(JsonSerializer.Serialize(new CaseResult(n / seconds, ProcessMemory.PeakMegabytes, 0)));
        return 0;
    }
}
