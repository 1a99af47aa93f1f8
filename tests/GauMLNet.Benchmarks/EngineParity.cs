using GauMLNet.Onnx;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Checkpoints;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>One engine's hidden states against TorchSharp fp32 on the same batch: over real tokens only.</summary>
internal sealed record EngineParityRow(string Engine, int N, double MaxAbsDifference, double RelativeRms, double MeanCosine);

/// <summary>
/// (h)'s fidelity beside its speed: the last hidden states of ONNX Runtime fp32 and int8 against TorchSharp fp32 on
/// table (h)'s model, at each length, on a batch whose rows are padded to different lengths (so masking is in play).
/// </summary>
internal static class EngineParity
{
    public static List<EngineParityRow> Measure(string checkpointDir, IReadOnlyList<int> lengths, int batch)
    {
        var rows = new List<EngineParityRow>();
        using var network = CheckpointDirectory.LoadMaskedLM(checkpointDir);
        network.eval();
        byte[] fp32 = GauOnnxExporter.Export(checkpointDir);
        byte[] int8 = GauOnnxExporter.Export(checkpointDir, new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8 });
        foreach (int n in lengths)
        {
            var padded = Batch(n, batch);
            float[] reference;
            using (no_grad())
            using (var scope = NewDisposeScope())
            {
                var shape = new long[] { padded.Rows, padded.Length };
                reference = network.call(tensor(padded.InputIds).reshape(shape), tensor(padded.TokenTypeIds).reshape(shape), tensor(padded.AttentionMask).reshape(shape))
                    .data<float>().ToArray();
            }
            foreach (var (name, model) in new[] { ("onnx-fp32", fp32), ("onnx-int8", int8) })
            {
                using var engine = new OnnxRuntimeEngine(model, outputName: OnnxNames.LastHiddenState);
                var row = Compare(name, n, padded, reference, engine.Run(padded).Values, network.Config.HiddenSize);
                Console.WriteLine($"    parity n={n,5} {name}: max |Δ| {row.MaxAbsDifference:E2}, relative RMS {row.RelativeRms:E2}, mean cosine {row.MeanCosine:F6} (hidden states vs TorchSharp fp32, real tokens)");
                rows.Add(row);
            }
        }
        return rows;
    }

    // Row r keeps n − r·n/(2·batch) real tokens: the longest row fills the batch, the others are padded.
    private static PaddedBatch Batch(int n, int batch)
    {
        var random = new Random(5);
        var rows = Enumerable.Range(0, batch).Select(r =>
        {
            int length = n - r * n / (2 * batch);
            var ids = Enumerable.Range(0, length).Select(t => t == 0 ? 2 : random.Next(5, 12000)).ToArray();
            return new EncodedText(ids, new int[length], false);
        }).ToArray();
        return PaddedBatch.Collate(rows, padId: 0);
    }

    private static EngineParityRow Compare(string name, int n, PaddedBatch batch, float[] expected, float[] actual, int d)
    {
        if (expected.Length != actual.Length) throw new InvalidOperationException($"{name}: {actual.Length} values for {expected.Length}");
        double maxAbs = 0, squared = 0, reference = 0, cosine = 0;
        int tokens = 0;
        for (int t = 0; t < batch.Rows * batch.Length; t++)
        {
            if (batch.AttentionMask[t] == 0) continue;
            tokens++;
            double dot = 0, na = 0, nb = 0;
            for (int j = 0; j < d; j++)
            {
                double x = expected[t * d + j], y = actual[t * d + j];
                maxAbs = Math.Max(maxAbs, Math.Abs(x - y));
                squared += (x - y) * (x - y);
                reference += x * x;
                dot += x * y;
                na += x * x;
                nb += y * y;
            }
            cosine += dot / Math.Sqrt(na * nb);
        }
        return new EngineParityRow(name, n, maxAbs, Math.Sqrt(squared / reference), cosine / tokens);
    }
}
