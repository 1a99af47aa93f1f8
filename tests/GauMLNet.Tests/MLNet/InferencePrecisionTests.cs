using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Tasks;
using GauMLNet.Tests.Support;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.MLNet;

public class InferencePrecisionTests(ITestOutputHelper output)
{
    private static float[][] Embed(ITransformer transformer, IDataView data) =>
        transformer.Transform(data).GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToArray();

    [Fact]
    public void BFloat16ScoresCloseToFloat32KeepsFp32WeightsAndSurvivesSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        string directory = TestPaths.NewTempDirectory();
        string vocab = Path.Combine(directory, "vocab.txt");
        VocabularyBuilder.Save(VocabularyBuilder.Build(SyntheticText.Sentences(300, 1).Select(r => r.Sentence)), vocab);
        var data = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(60, 2));
        var fp32Options = new GauTextEmbeddingOptions { Config = TextClassificationTests.TestConfig, VocabPath = vocab, Device = "cpu", Seed = 5 };
        var fp32 = ml.Transforms.Text.GauTextEmbedding(fp32Options).Fit(data);
        // Forced: bf16 numerics are what is tested, on any CPU (without native bf16 an unforced model scores in fp32).
        var bf16 = ml.Transforms.Text.GauTextEmbedding(fp32Options with { InferencePrecision = InferencePrecision.BFloat16, ForceInferencePrecision = true }).Fit(data);

        var exact = Embed(fp32, data);
        var reduced = Embed(bf16, data);
        double error = 0, norm = 0;
        for (int i = 0; i < exact.Length; i++)
            for (int j = 0; j < exact[i].Length; j++)
            {
                error += Math.Pow(reduced[i][j] - exact[i][j], 2);
                norm += Math.Pow(exact[i][j], 2);
            }
        double relativeRms = Math.Sqrt(error / norm);
        output.WriteLine($"bf16 embeddings: relative RMS error {relativeRms:P3} against fp32");
        Assert.True(relativeRms > 0, "bf16 scoring gave bit-identical results: the precision option had no effect");
        Assert.True(relativeRms < 0.02, $"bf16 embeddings are {relativeRms:P2} away from fp32");

        // The weights of record stay fp32: the bf16 model saves exactly what the fp32 one does.
        Assert.Equal(fp32.Model.Package.ToFiles()["model.safetensors"], bf16.Model.Package.ToFiles()["model.safetensors"]);

        string zip = Path.Combine(directory, "bf16.zip");
        ml.Model.Save(bf16, data.Schema, zip);
        var loaded = new MLContext(seed: 2).Model.LoadGauModel(zip, out _);
        Assert.Equal(reduced, Embed(loaded, data)); // the force travels with the model
    }

    [Theory]
    [InlineData("\"FP8\"")]
    [InlineData("7")]
    public void AnUnknownPrecisionInTheTaskFileIsRefusedByName(string value)
    {
        string json = $$"""{"task": "embedding", "text_columns": ["Sentence"], "output_columns": ["Features"], "inference_precision": {{value}}}""";
        var error = Assert.Throws<InvalidDataException>(() => GauTaskSpec.FromJson(json, "model/gau-task.json"));
        Assert.Contains("model/gau-task.json", error.Message);
        Assert.Contains("inference_precision", error.Message);
    }
}
