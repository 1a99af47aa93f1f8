using GauMLNet.Onnx.Tests.Support;

namespace GauMLNet.Onnx.Tests;

/// <summary>Dynamic int8 exports: their error against fp32 and the fixture, on ONNX Runtime's operators and on standard ones.</summary>
public sealed class Int8Tests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void TheInt8MlmExportStaysCloseToTheFixture(bool onnxRuntimeOperators, bool perChannel)
    {
        var fixture = TinyFixture.Load();
        var options = new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8, UseOnnxRuntimeOperators = onnxRuntimeOperators, PerChannelScales = perChannel };
        var outputs = OnnxRunner.RunOnce(GauOnnxExporter.Export(TinyFixture.Directory, options), fixture.InputIds, fixture.TokenTypeIds, fixture.AttentionMask);
        var (hidden, logits) = fixture.MaxAbsDifference(outputs[OnnxNames.LastHiddenState], outputs[OnnxNames.MlmLogits]);
        double rms = Rms(fixture.ExpectedHidden.SelectMany(r => r).SelectMany(t => t));
        output.WriteLine($"int8 (ORT operators {onnxRuntimeOperators}, per-channel {perChannel}): max |Δ| hidden {hidden:F4} (hidden RMS {rms:F2}), MLM logits {logits:F4}");
        Assert.True(hidden < 0.1, $"hidden states differ by {hidden}");
        Assert.True(logits < 0.1, $"MLM logits differ by {logits}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Int8HiddenStatesOfABaseWidthModelStayCloseToFp32(bool perChannel)
    {
        // Base width (d 768, e 1536, s 128), 2 GAU layers, random weights; 2 rows of 128 and 77 tokens.
        var config = Configuration.GauAlphaConfig.Base with { VocabSize = 200, NumHiddenLayers = 2 };
        var weights = RandomGau.Weights(config, seed: 21);
        var (ids, types, mask) = RandomGau.Inputs(config, seed: 22, width: 128, 128, 77);
        var fp32 = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel()), ids, types, mask)[OnnxNames.LastHiddenState];
        var int8 = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel(),
            new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8, PerChannelScales = perChannel }), ids, types, mask)[OnnxNames.LastHiddenState];
        double maxAbs = 0, squared = 0, reference = 0, cosine = 0;
        int d = config.HiddenSize, tokens = 0;
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < 128; t++)
            {
                if (mask[b][t] == 0) continue;
                tokens++;
                double dot = 0, na = 0, nb = 0;
                for (int j = 0; j < d; j++)
                {
                    float x = fp32.Values[(b * 128 + t) * d + j], y = int8.Values[(b * 128 + t) * d + j];
                    maxAbs = Math.Max(maxAbs, Math.Abs(x - y));
                    squared += (x - y) * (x - y);
                    reference += x * x;
                    dot += x * y;
                    na += x * x;
                    nb += y * y;
                }
                cosine += dot / Math.Sqrt(na * nb);
            }
        double relative = Math.Sqrt(squared / reference);
        output.WriteLine($"base width, 2 layers, int8 per-channel {perChannel}: max |Δ| {maxAbs:F4}, relative RMS error {relative:P2}, mean cosine {cosine / tokens:F6}");
        Assert.True(relative < 0.05, $"relative error {relative}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheTiedDecoderQuantizesToo(bool onnxRuntimeOperators)
    {
        var config = RandomGau.TinyConfig();
        var weights = RandomGau.Weights(config, seed: 6);
        var (ids, types, mask) = RandomGau.Inputs(config, seed: 4, width: 7, 7, 3);
        var fp32 = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel()), ids, types, mask)[OnnxNames.MlmLogits];
        var int8 = OnnxRunner.RunOnce(GauOnnxExporter.Export(config, weights, GauOnnxHead.MaskedLanguageModel(),
            new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8, UseOnnxRuntimeOperators = onnxRuntimeOperators }), ids, types, mask)[OnnxNames.MlmLogits];
        Assert.Equal(fp32.Shape, int8.Shape);
        double diff = fp32.Values.Zip(int8.Values, (a, b) => Math.Abs(a - b)).Max();
        double scale = fp32.Values.Max(Math.Abs);
        output.WriteLine($"tied decoder int8 (ORT operators {onnxRuntimeOperators}): max |Δ| {diff:F4} of max |logit| {scale:F2}");
        Assert.True(diff < 0.05 * scale);
    }

    private static double Rms(IEnumerable<float> values)
    {
        var list = values.ToList();
        return Math.Sqrt(list.Sum(v => (double)v * v) / list.Count);
    }
}
