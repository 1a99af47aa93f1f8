using System.Text.Json;
using GauMLNet.Configuration;
using GauMLNet.Engines;
using GauMLNet.Onnx;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Backend;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;

namespace GauMLNet.Benchmarks;

/// <summary>
/// (h) The scoring engines side by side on the same weights and inputs: TorchSharp fp32 and bf16, ONNX Runtime fp32 and
/// int8; base width, 4 GAU layers, mean-pooled embeddings (encoder work only). Each case runs in its own child process,
/// so its peak resident memory is the serving process's own.
/// </summary>
internal static class EngineCases
{
    public static readonly string[] Kinds = ["engine-torch-fp32", "engine-torch-bf16", "engine-onnx-fp32", "engine-onnx-int8"];

    /// <summary>The environment variable naming the checkpoint directory children load (written once by the parent).</summary>
    private const string CheckpointVariable = "GAUMLNET_BENCHMARK_ENGINE_CHECKPOINT";

    private static GauAlphaConfig Config(int layers) => new()
    {
        HiddenSize = 768,
        EmbeddingSize = 768,
        IntermediateSize = 1536,
        AttentionKeySize = 128,
        NumHiddenLayers = layers,
        VocabSize = 12000,
        HiddenDropoutProb = 0,
        AttentionProbsDropoutProb = 0,
    };

    /// <summary>A random base-width checkpoint for the children (one per run).</summary>
    public static string WriteCheckpoint(int layers)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"gaumlnet-bench-engines-{Environment.ProcessId}");
        using var model = TaskNetworks.CreateMaskedLM(Config(layers), seed: 3);
        CheckpointDirectory.Save(dir, model);
        Environment.SetEnvironmentVariable(CheckpointVariable, dir);
        return dir;
    }

    /// <summary>
    /// (h): every engine at every length, each case in its own child process; the kinds are interleaved for
    /// <paramref name="rounds"/> rounds and each keeps its best, so drift on a shared machine falls on all alike.
    /// </summary>
    public static (List<Dictionary<string, object>> Rows, List<EngineParityRow> Parity) Table(IReadOnlyList<int> lengths, int batch, int rounds = 3)
    {
        string dir = WriteCheckpoint(Cases.DefaultLayers);
        var rows = new List<Dictionary<string, object>>();
        Console.WriteLine($"(h) scoring engines, base width, {Cases.DefaultLayers} GAU layers, batch {batch}, mean-pooled embeddings, best of {rounds} interleaved rounds (tokens/s, ratio to TorchSharp fp32, peak RSS MB):");
        try
        {
            foreach (int n in lengths)
            {
                var row = new Dictionary<string, object> { ["n"] = n, ["batch"] = batch };
                for (int round = 0; round < rounds; round++)
                    foreach (string kind in Kinds)
                    {
                        var result = Cases.RunInChild(kind, n, batch);
                        if (round > 0 && (double)row[kind + "_tokens_per_s"] >= result.TokensPerSecond) continue;
                        row[kind + "_tokens_per_s"] = result.TokensPerSecond;
                        row[kind + "_peak_mb"] = result.PeakMegabytes;
                    }
                double torchFp32 = (double)row["engine-torch-fp32_tokens_per_s"];
                foreach (string kind in Kinds) row[kind + "_ratio"] = (double)row[kind + "_tokens_per_s"] / torchFp32;
                Console.WriteLine($"    n={n,5}: " + string.Join("; ", Kinds.Select(k =>
                    $"{k["engine-".Length..]} {row[k + "_tokens_per_s"]:F0} ({(double)row[k + "_ratio"]:F2}×, {row[k + "_peak_mb"]:F0} MB)")));
                rows.Add(row);
            }
            return (rows, EngineParity.Measure(dir, lengths, batch));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static int RunChild(string kind, int n, int batch)
    {
        string dir = Environment.GetEnvironmentVariable(CheckpointVariable) ?? throw new InvalidOperationException($"{CheckpointVariable} is not set.");
        var random = new Random(1);
        var rows = Enumerable.Range(0, batch).Select(_ =>
        {
            var ids = Enumerable.Range(0, n).Select(t => t == 0 ? 2 : random.Next(5, 12000)).ToArray();
            return new EncodedText(ids, new int[n], false);
        }).ToArray();
        var padded = PaddedBatch.Collate(rows, padId: 0);
        IGauInferenceEngine engine = kind switch
        {
            "engine-torch-fp32" or "engine-torch-bf16" => TorchEngine(dir, kind.EndsWith("bf16", StringComparison.Ordinal)),
            "engine-onnx-fp32" => new OnnxRuntimeEngine(GauOnnxExporter.Export(dir, GauOnnxHead.Embedding(SequencePooling.Mean))),
            "engine-onnx-int8" => new OnnxRuntimeEngine(GauOnnxExporter.Export(dir, GauOnnxHead.Embedding(SequencePooling.Mean), new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8 })),
            _ => throw new ArgumentException($"Unknown engine case '{kind}'."),
        };
        using (engine)
        {
            double seconds = Timer.BestWithin(() => engine.Run(padded), budgetSeconds: batch * n >= 1024 ? 4 : 0.5, minimumRuns: 3);
            double tokens = (double)batch * n;
            Console.WriteLine(JsonSerializer.Serialize(new CaseResult(tokens / seconds, ProcessMemory.PeakMegabytes, 0)));
        }
        return 0;
    }

    private static IGauInferenceEngine TorchEngine(string dir, bool bf16)
    {
        using var source = CheckpointDirectory.LoadMaskedLM(dir);
        var network = new GauAlphaForEmbedding(source.Config, SequencePooling.Mean);
        network.Backbone.load_state_dict(source.Backbone.state_dict());
        return new TorchSharpInferenceEngine(network, new EngineOptions { Device = "cpu", Precision = bf16 ? InferencePrecision.BFloat16 : InferencePrecision.Float32 });
    }
}
