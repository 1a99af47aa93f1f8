using GauMLNet.Configuration;
using GauMLNet.Engines;
using GauMLNet.Onnx;
using GauMLNet.Tests.Support;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Onnx;

/// <summary>
/// The ONNX Runtime graph computes what the TorchSharp encoder computes (≤ 1e-4 max abs): the independent fixture, and
/// random checkpoints of other sizes for every attention normalization, with and without biases and the attention
/// scale, full and mixed-chunk attention, at lengths 1 to 1,024, in padded batches of sentence pairs.
/// </summary>
public sealed class TorchSharpOnnxParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string, GauAlphaConfig> Configs => new()
    {
        { "softmax_plus d48", new GauAlphaConfig { VocabSize = 97, HiddenSize = 48, EmbeddingSize = 48, IntermediateSize = 96, AttentionKeySize = 16, NumHiddenLayers = 2 } },
        { "squared_relu d64 bias", new GauAlphaConfig { VocabSize = 61, HiddenSize = 64, EmbeddingSize = 64, IntermediateSize = 160, AttentionKeySize = 32, NumHiddenLayers = 3, Normalization = "squared_relu", UseBias = true } },
        { "mixed_chunk softmax_plus d48 chunk 16", new GauAlphaConfig { VocabSize = 97, HiddenSize = 48, EmbeddingSize = 48, IntermediateSize = 96, AttentionKeySize = 16, NumHiddenLayers = 2, Attention = "mixed_chunk", ChunkSize = 16 } },
        { "mixed_chunk squared_relu d64 bias chunk 64", new GauAlphaConfig { VocabSize = 61, HiddenSize = 64, EmbeddingSize = 64, IntermediateSize = 160, AttentionKeySize = 32, NumHiddenLayers = 2, Normalization = "squared_relu", UseBias = true, Attention = "mixed_chunk", ChunkSize = 64 } },
        { "mixed_chunk softmax d32 unscaled chunk 7", new GauAlphaConfig { VocabSize = 50, HiddenSize = 32, EmbeddingSize = 32, IntermediateSize = 64, AttentionKeySize = 8, NumHiddenLayers = 2, Normalization = "softmax", AttentionScale = false, Attention = "mixed_chunk", ChunkSize = 7 } },
        { "softmax d32 unscaled gelu", new GauAlphaConfig { VocabSize = 50, HiddenSize = 32, EmbeddingSize = 32, IntermediateSize = 64, AttentionKeySize = 8, NumHiddenLayers = 2, Normalization = "softmax", AttentionScale = false, HiddenAct = "gelu" } },
    };

    [Fact]
    public void TheTinyFixtureMatchesTorchSharp()
    {
        var fixture = TinyFixture.Load();
        double hidden = Compare(TestPaths.TinyModel, fixture.InputIds, fixture.TokenTypeIds, fixture.AttentionMask);
        Assert.True(hidden <= Tolerance, $"max |Δ| {hidden:E2}");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void RandomCheckpointsMatchTorchSharpAtLengthsOneTo1024(string name, GauAlphaConfig config)
    {
        string dir = TestPaths.NewTempDirectory();
        using (var model = TaskNetworks.CreateMaskedLM(config with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 }, seed: 11))
        {
            if (config.UseBias) // biases start at zero; give them values so they are tested
                using (no_grad()) foreach (var (n, p) in model.named_parameters()) if (n.EndsWith(".bias", StringComparison.Ordinal)) p.normal_(0, 0.1);
            CheckpointDirectory.Save(dir, model);
        }
        var random = new Random(5);
        double worst = 0;
        foreach (int[] lengths in new[] { new[] { 1 }, [1, 7, 33], [100, 3, 64, 2], [1024, 17] })
        {
            // A padded batch of sentence pairs: segment 0 then 1, padding after each row's length.
            int width = lengths.Max();
            var ids = lengths.Select(l => Enumerable.Range(0, width).Select(t => t < l ? (long)random.Next(1, config.VocabSize) : 0L).ToArray()).ToArray();
            var types = lengths.Select(l => Enumerable.Range(0, width).Select(t => t >= l / 2 && t < l ? 1L : 0L).ToArray()).ToArray();
            var mask = lengths.Select(l => Enumerable.Range(0, width).Select(t => t < l ? 1L : 0L).ToArray()).ToArray();
            worst = Math.Max(worst, Compare(dir, ids, types, mask));
        }
        output.WriteLine($"{name}: max |Δ| {worst:E2}");
        Assert.True(worst <= Tolerance, $"{name}: max |Δ| {worst:E2}");
    }

    /// <summary>Largest difference of hidden states (real tokens) and MLM logits between TorchSharp and ONNX Runtime.</summary>
    private static double Compare(string checkpoint, long[][] ids, long[][] types, long[][] mask)
    {
        using var encoder = GauAlphaEncoder.Load(checkpoint, "cpu");
        var expected = encoder.Encode(ids, types, mask);
        byte[] graph = GauOnnxExporter.Export(checkpoint);
        var batch = Batch(ids, types, mask);
        using var hiddenEngine = new OnnxRuntimeEngine(graph, new EngineOptions { Threads = 1 }, OnnxNames.LastHiddenState);
        using var logitsEngine = new OnnxRuntimeEngine(graph, new EngineOptions { Threads = 1 }, OnnxNames.MlmLogits);
        var hidden = hiddenEngine.Run(batch);
        var logits = logitsEngine.Run(batch);
        int n = ids[0].Length, d = encoder.Config.HiddenSize, v = encoder.Config.VocabSize;
        double worst = 0;
        for (int b = 0; b < ids.Length; b++)
        {
            int real = 0;
            for (int t = 0; t < n; t++)
            {
                if (mask[b][t] == 0) continue;
                for (int k = 0; k < d; k++) worst = Math.Max(worst, Math.Abs(expected[b].LastHiddenState[real][k] - hidden.Values[(b * n + t) * d + k]));
                real++;
            }
            for (int k = 0; k < v; k++) worst = Math.Max(worst, Math.Abs(expected[b].MlmLogitsFirstToken[k] - logits.Values[b * n * v + k]));
        }
        return worst;
    }

    private static PaddedBatch Batch(long[][] ids, long[][] types, long[][] mask) =>
        PaddedBatch.Collate(ids.Select((row, b) =>
        {
            int length = mask[b].Count(m => m != 0);
            return new EncodedText(row.Take(length).Select(x => (int)x).ToArray(), types[b].Take(length).Select(x => (int)x).ToArray(), false);
        }).ToArray(), padId: 0);
}
