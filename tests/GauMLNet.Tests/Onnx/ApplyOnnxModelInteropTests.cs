using GauMLNet.MLNet;
using GauMLNet.Onnx;
using GauMLNet.Tests.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Onnx;

/// <summary>An exported GAU-α classifier runs through ML.NET's own ApplyOnnxModel, fed by GauTokenize.</summary>
public sealed class ApplyOnnxModelInteropTests(ITestOutputHelper output)
{
    [Fact]
    public void ApplyOnnxModelReproducesTheGauTransformersProbabilities()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(64, 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(24, 2));
        const int maxLength = 40;
        var options = TextClassificationTests.Options with { Config = TextClassificationTests.TestConfig with { NumHiddenLayers = 1 }, Epochs = 2, MaxLength = maxLength };
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.GauTextClassification(options)).Fit(train);
        var classifier = model.LastTransformer;

        string dir = TestPaths.NewTempDirectory();
        string onnxPath = Path.Combine(dir, "model.onnx");
        classifier.ExportToOnnx(onnxPath);
        File.WriteAllText(Path.Combine(dir, "vocab.txt"), classifier.Model.Package.VocabText);

        int[] shape = [1, maxLength];
        var pipeline = ml.Transforms.GauTokenize(dir, "Sentence", maxLength: maxLength)
            .Append(ml.Transforms.ApplyOnnxModel(["probabilities"], [GauTokenization.InputIds, GauTokenization.TokenTypeIds, GauTokenization.AttentionMask], onnxPath,
                shapeDictionary: new Dictionary<string, int[]> { [GauTokenization.InputIds] = shape, [GauTokenization.TokenTypeIds] = shape, [GauTokenization.AttentionMask] = shape }, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100));
        var viaMLNet = pipeline.Fit(test).Transform(test).GetColumn<float[]>("probabilities").ToArray();
        var viaGau = model.Transform(test).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();

        double worst = viaGau.Zip(viaMLNet).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
        output.WriteLine($"ApplyOnnxModel vs GAU transformer: max |Δ| {worst:E2} over {viaGau.Length} rows");
        Assert.Equal(viaGau.Length, viaMLNet.Length);
        Assert.True(worst <= 1e-4, $"max |Δ| {worst:E2}");
    }
}
