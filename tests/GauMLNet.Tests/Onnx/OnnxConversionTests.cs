using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Onnx;
using GauMLNet.Tests.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Onnx;

/// <summary>
/// A fitted pipeline moves onto ONNX Runtime in one call and stays an ML.NET citizen there: the same columns and
/// scores (≤ 1e-4) for every task head, Transform, PredictionEngine, Evaluate, and a model.zip that loads back onto
/// ONNX Runtime.
/// </summary>
public sealed class OnnxConversionTests(ITestOutputHelper output)
{
    private static GauTextClassificationOptions Quick => TextClassificationTests.Options with { Config = TextClassificationTests.TestConfig with { NumHiddenLayers = 1 }, Epochs = 2 };

    private static float[][] Vectors(IDataView scored, string column) =>
        scored.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    private static double MaxDifference(float[][] a, float[][] b) =>
        a.Zip(b).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));

    [Fact]
    public void AClassifierPipelineScoresTheSameOnOnnxRuntimeAndRoundTripsThroughAZip()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(64, 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(40, 2));
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.GauTextClassification(Quick))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(train);

        var onnx = model.ToOnnxRuntime();
        var gau = GauMLNet.MLNet.CluePipeline.GauTransformers(onnx).Single();
        Assert.StartsWith("onnxruntime", gau.Model.Engine.Description);
        var torchScores = Vectors(model.Transform(test), "Score");
        var onnxScores = Vectors(onnx.Transform(test), "Score");
        double difference = MaxDifference(torchScores, onnxScores);
        output.WriteLine($"classifier probabilities, TorchSharp vs ONNX Runtime: max |Δ| {difference:E2}");
        Assert.True(difference <= 1e-4, $"max |Δ| {difference:E2}");
        Assert.Equal(model.Transform(test).GetColumn<string>("PredictedLabel"), onnx.Transform(test).GetColumn<string>("PredictedLabel"));
        Assert.Equal(ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy, ml.MulticlassClassification.Evaluate(onnx.Transform(test)).MicroAccuracy);

        var engine = ml.Model.CreatePredictionEngine<SentenceRow, ClassPrediction>(onnx);
        var single = engine.Predict(new SentenceRow { Sentence = "这个真好" });
        Assert.Equal(3, single.Score.Length);

        string zip = Path.Combine(TestPaths.NewTempDirectory(), "onnx-model.zip");
        ml.Model.Save(onnx, train.Schema, zip);
        var loaded = new MLContext().Model.LoadGauModel(zip, out _);
        var loadedGau = GauMLNet.MLNet.CluePipeline.GauTransformers(loaded).Single();
        Assert.StartsWith("onnxruntime", loadedGau.Model.Engine.Description);
        Assert.True(loadedGau.Model.Package.Members.ContainsKey(OnnxNames.ModelMember));
        Assert.True(MaxDifference(onnxScores, Vectors(loaded.Transform(test), "Score")) <= 1e-6);
    }

    [Fact]
    public void PairSimilarityAndEmbeddingHeadsScoreTheSameOnOnnxRuntime()
    {
        var ml = new MLContext(seed: 1);
        var pairs = ml.Data.LoadFromEnumerable(SyntheticText.Pairs(48, 1));
        var pairModel = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { SentenceColumnName = "Sentence1", SecondSentenceColumnName = "Sentence2" }))
            .Fit(pairs);
        double pair = MaxDifference(Vectors(pairModel.Transform(pairs), "Score"), Vectors(pairModel.ToOnnxRuntime().Transform(pairs), "Score"));

        var similarities = ml.Data.LoadFromEnumerable(SyntheticText.Similarities(48, 1));
        var regression = ml.Regression.Trainers.GauSentenceSimilarity(new GauSentenceSimilarityOptions
        {
            Config = Quick.Config,
            Epochs = 2,
            Device = "cpu",
            Seed = 2,
        }).Fit(similarities);
        var torchScore = regression.Transform(similarities).GetColumn<float>("Score").ToArray();
        var onnxScore = regression.ToOnnxRuntime().Transform(similarities).GetColumn<float>("Score").ToArray();
        double score = torchScore.Zip(onnxScore).Max(p => Math.Abs(p.First - p.Second));

        string vocab = Path.Combine(TestPaths.NewTempDirectory(), "vocab.txt");
        GauMLNet.Text.VocabularyBuilder.Save(GauMLNet.Text.VocabularyBuilder.Build(SyntheticText.Sentences(64, 1).Select(r => r.Sentence)), vocab);
        var sentences = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(40, 3));
        foreach (var pooling in new[] { SequencePooling.Mean, SequencePooling.First })
        {
            var embedding = ml.Transforms.Text.GauTextEmbedding(new GauTextEmbeddingOptions { VocabPath = vocab, Config = Quick.Config, Device = "cpu", Pooling = pooling }).Fit(sentences);
            double difference = MaxDifference(Vectors(embedding.Transform(sentences), "Features"), Vectors(embedding.ToOnnxRuntime().Transform(sentences), "Features"));
            output.WriteLine($"embedding ({pooling}): max |Δ| {difference:E2}");
            Assert.True(difference <= 1e-4, $"embedding ({pooling}): max |Δ| {difference:E2}");
        }
        output.WriteLine($"pair classifier max |Δ| {pair:E2}, similarity max |Δ| {score:E2}");
        Assert.True(pair <= 1e-4 && score <= 1e-4, $"pair {pair:E2}, similarity {score:E2}");
    }

    [Fact]
    public void Int8ConversionKeepsPredictionsCloseAndSaysSo()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(64, 1));
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.GauTextClassification(Quick)).Fit(train);
        var int8 = model.ToOnnxRuntime(new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8 });
        var gau = GauMLNet.MLNet.CluePipeline.GauTransformers(int8).Single();
        Assert.Equal(InferencePrecision.Int8, gau.Model.Spec.InferencePrecision);
        Assert.Contains("int8", gau.Model.Engine.Description);
        double difference = MaxDifference(Vectors(model.Transform(train), "Score"), Vectors(int8.Transform(train), "Score"));
        output.WriteLine($"int8 probabilities vs fp32: max |Δ| {difference:E2}");
        Assert.True(difference < 0.05, $"int8 moved probabilities by {difference:E2}");
    }

    [Theory]
    [InlineData(EntityHead.Crf)]
    [InlineData(EntityHead.Softmax)]
    [InlineData(EntityHead.GlobalPointer)]
    public void EntityRecognizersScoreTheSameOnOnnxRuntime(EntityHead head)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticText.Entities(80, 1));
        var model = ml.MulticlassClassification.Trainers.GauNamedEntityRecognition(new GauNamedEntityRecognitionOptions
        {
            Config = Quick.Config,
            Head = head,
            Epochs = 3,
            LearningRate = 3e-3,
            Device = "cpu",
            MaxLength = 16,
        }).Fit(data);
        var onnx = (GauNamedEntityRecognitionTransformer)model.ToOnnxRuntime();
        Assert.StartsWith("onnxruntime", onnx.Model.Engine.Description);

        // Raw head outputs agree, and so do the decoded entities (windows of long rows included).
        var rows = SyntheticText.Entities(20, 2).Select(r => r.Sentence).Append(string.Concat(Enumerable.Repeat("张伟在北京工作。", 5))).ToList();
        var encoded = rows.Select(r => GauMLNet.Entities.EntityWindows.Encode(GauMLNet.Entities.AlignedTextView.Whole(new GauMLNet.Text.CharacterTokenizer(model.Model.Tokenizer).Encode(r[..Math.Min(r.Length, 14)])), model.Model.Tokenizer)).ToArray();
        double difference = MaxDifference(model.Model.Run(encoded), onnx.Model.Run(encoded));
        output.WriteLine($"{head}: raw outputs max |Δ| {difference:E2}");
        Assert.True(difference <= 1e-4, $"{head}: max |Δ| {difference:E2}");
        Assert.Equal(model.Recognize(rows).Select(e => string.Join(";", e)), onnx.Recognize(rows).Select(e => string.Join(";", e)));
    }
}
