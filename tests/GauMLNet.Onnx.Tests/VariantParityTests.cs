using GauMLNet.Configuration;
using GauMLNet.Onnx.Tests.Support;

namespace GauMLNet.Onnx.Tests;

/// <summary>Every config variant's export against the plain C# reference forward pass (random weights).</summary>
public sealed class VariantParityTests(ITestOutputHelper output)
{
    public static TheoryData<string, bool, bool, string, bool> Variants()
    {
        var data = new TheoryData<string, bool, bool, string, bool>();
        string[] acts = ["swish", "silu", "gelu", "relu"];
        int a = 0;
        foreach (string normalization in new[] { "softmax_plus", "squared_relu", "softmax" })
            foreach (bool scale in new[] { true, false })
                foreach (bool bias in new[] { false, true })
                    foreach (bool ort in new[] { true, false })
                        data.Add(normalization, scale, bias, acts[a++ % acts.Length], ort);
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void HiddenStatesMatchTheReference(string normalization, bool scale, bool bias, string act, bool onnxRuntimeOperators)
    {
        var config = RandomGau.TinyConfig(normalization, scale, bias, act);
        var weights = RandomGau.Weights(config, seed: 7, decoder: true);
        var (ids, types, mask) = RandomGau.Inputs(config, seed: 3, width: 13, 13, 6, 1);
        byte[] model = GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel(), new OnnxExportOptions { UseOnnxRuntimeOperators = onnxRuntimeOperators });
        var hidden = OnnxRunner.RunOnce(model, ids, types, mask)[OnnxNames.LastHiddenState];
        var expected = new ReferenceGau(config, weights).Hidden(ids, types, mask);
        double diff = MaxAbsOverRealTokens(hidden, expected, mask);
        output.WriteLine($"{normalization} scale={scale} bias={bias} {act} ort={onnxRuntimeOperators}: max |Δ| {diff:E2}");
        Assert.True(diff <= 1e-4, $"max |Δ| {diff}");
    }

    [Theory]
    [InlineData("softmax_plus", false, false, OnnxQuantization.None)]
    [InlineData("softmax_plus", true, true, OnnxQuantization.None)]
    [InlineData("softmax", true, false, OnnxQuantization.None)]
    [InlineData("squared_relu", true, true, OnnxQuantization.None)]
    [InlineData("softmax_plus", true, true, OnnxQuantization.DynamicInt8)]
    public void GraphLayoutOptionsComputeTheSameFunction(string normalization, bool separateProjections, bool bias, OnnxQuantization quantization)
    {
        var config = RandomGau.TinyConfig(normalization, bias: bias);
        var weights = RandomGau.Weights(config, seed: 17);
        var (ids, types, mask) = RandomGau.Inputs(config, seed: 3, width: 10, 10, 4);
        var baseline = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel(), new OnnxExportOptions { Quantization = quantization, FusedAttention = true, SeparateProjections = false }), ids, types, mask)[OnnxNames.LastHiddenState];
        var variant = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel(),
            new OnnxExportOptions { Quantization = quantization, FusedAttention = false, SeparateProjections = separateProjections }), ids, types, mask)[OnnxNames.LastHiddenState];
        double diff = 0;
        for (int i = 0; i < baseline.Values.Length; i++)
            if (mask[i / (10 * config.HiddenSize)][i / config.HiddenSize % 10] != 0) diff = Math.Max(diff, Math.Abs(baseline.Values[i] - variant.Values[i]));
        output.WriteLine($"{normalization} separate={separateProjections} bias={bias} {quantization}: max |Δ| {diff:E2}");
        // int8: separate projections quantize x once per part, with the same per-tensor range, so the same values.
        Assert.True(diff <= 1e-4, $"max |Δ| {diff}");
    }

    [Theory]
    [InlineData(SequencePooling.First, true)]
    [InlineData(SequencePooling.Mean, true)]
    [InlineData(SequencePooling.Mean, false)]
    public void PooledHeadsMatchTheReference(SequencePooling pooling, bool onnxRuntimeOperators)
    {
        var config = RandomGau.TinyConfig(bias: true);
        var weights = RandomGau.Weights(config, seed: 11, headOutputs: 3);
        var (ids, types, mask) = RandomGau.Inputs(config, seed: 5, width: 9, 9, 4, 2);
        var options = new OnnxExportOptions { UseOnnxRuntimeOperators = onnxRuntimeOperators };
        var reference = new ReferenceGau(config, weights);
        var hidden = reference.Hidden(ids, types, mask);
        var pooled = hidden.Select((h, b) => ReferenceGau.Pool(h, mask[b], pooling)).ToArray();

        var classification = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.SequenceClassification(3, pooling), options), ids, types, mask);
        var regressionWeights = RandomGau.Weights(config, seed: 11, headOutputs: 1);
        var regression = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, regressionWeights, GauOnnxHead.Regression(pooling), options), ids, types, mask);
        var embedding = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.Embedding(pooling), options), ids, types, mask);

        double dLogits = 0, dProbabilities = 0, dScore = 0, dEmbedding = 0;
        for (int b = 0; b < ids.Length; b++)
        {
            var logits = reference.Classifier(pooled[b]);
            var exp = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
            for (int o = 0; o < 3; o++)
            {
                dLogits = Math.Max(dLogits, Math.Abs(classification[OnnxNames.Logits].Values[b * 3 + o] - logits[o]));
                dProbabilities = Math.Max(dProbabilities, Math.Abs(classification[OnnxNames.Probabilities].Values[b * 3 + o] - exp[o] / exp.Sum()));
            }
            double score = new ReferenceGau(config, regressionWeights).Classifier(pooled[b])[0];
            dScore = Math.Max(dScore, Math.Abs(regression[OnnxNames.Score].Values[b] - score));
            for (int j = 0; j < config.HiddenSize; j++)
                dEmbedding = Math.Max(dEmbedding, Math.Abs(embedding[OnnxNames.Embedding].Values[b * config.HiddenSize + j] - pooled[b][j]));
        }
        output.WriteLine($"{pooling}: logits {dLogits:E2}, probabilities {dProbabilities:E2}, score {dScore:E2}, embedding {dEmbedding:E2}");
        Assert.True(Math.Max(Math.Max(dLogits, dProbabilities), Math.Max(dScore, dEmbedding)) <= 1e-4);
    }

    internal static double MaxAbsOverRealTokens(OnnxRunner.Tensor actual, double[][][] expected, long[][] mask)
    {
        int n = (int)actual.Shape[1], d = (int)actual.Shape[2];
        double diff = 0;
        for (int b = 0; b < mask.Length; b++)
            for (int t = 0; t < n; t++)
                if (mask[b][t] != 0)
                    for (int j = 0; j < d; j++)
                        diff = Math.Max(diff, Math.Abs(actual.Values[(b * n + t) * d + j] - expected[b][t][j]));
        return diff;
    }
}
