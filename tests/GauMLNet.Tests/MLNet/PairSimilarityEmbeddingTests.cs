using GauMLNet.Evaluation;
using GauMLNet.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.MLNet;

public class PairSimilarityEmbeddingTests(ITestOutputHelper output)
{
    [Fact]
    public void PairClassifierLearnsWhetherTwoSentencesShareAKeyword()
    {
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.GauTextClassification(new GauTextClassificationOptions
            {
                SentenceColumnName = "Sentence1",
                SecondSentenceColumnName = "Sentence2",
                Config = TextClassificationTests.TestConfig,
                Epochs = 20,
                BatchSize = 16,
                LearningRate = 2e-3,
                Device = "cpu",
                Seed = 3,
            }));
        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(SyntheticText.Pairs(800, 1)));
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(SyntheticText.Pairs(150, 2))));
        output.WriteLine($"pair accuracy {metrics.MicroAccuracy:P1}");
        Assert.True(metrics.MicroAccuracy >= 0.9, $"pair accuracy {metrics.MicroAccuracy:P1}");
    }

    [Fact]
    public void SimilarityReachesAClearlyPositiveCorrelationAndRoundTripsThroughAZip()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.Regression.Trainers.GauSentenceSimilarity(new GauSentenceSimilarityOptions
        {
            Config = TextClassificationTests.TestConfig,
            Epochs = 20,
            BatchSize = 16,
            LearningRate = 2e-3,
            Device = "cpu",
            Seed = 4,
        });
        var train = ml.Data.LoadFromEnumerable(SyntheticText.Similarities(800, 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticText.Similarities(150, 2));
        var model = trainer.Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.Regression.Evaluate(scored);
        var predicted = scored.GetColumn<float>("Score").Select(v => (double)v).ToArray();
        var truth = scored.GetColumn<float>("Label").Select(v => (double)v).ToArray();
        double r = TaskMetrics.Pearson(predicted, truth);
        output.WriteLine($"similarity Pearson r {r:F3}, R² {metrics.RSquared:F3}");
        Assert.True(r > 0.5, $"Pearson r {r:F3}");

        string path = Path.Combine(TestPaths.NewTempDirectory(), "similarity.zip");
        ml.Model.Save(model, train.Schema, path);
        var fresh = new MLContext();
        var loaded = fresh.Model.LoadGauModel(path, out _); // registers GauMLNet's loaders with this context, then loads
        Assert.Equal(predicted, loaded.Transform(test).GetColumn<float>("Score").Select(v => (double)v).ToArray());
    }

    [Fact]
    public void EmbeddingsHaveAFixedSizeAreDeterministicAndFeedAnyTrainer()
    {
        var ml = new MLContext(seed: 1);
        string vocabDir = TestPaths.NewTempDirectory();
        string vocab = Path.Combine(vocabDir, "vocab.txt");
        VocabularyBuilder.Save(VocabularyBuilder.Build(SyntheticText.Sentences(300, 1).Select(r => r.Sentence)), vocab);
        var options = new GauTextEmbeddingOptions { Config = TextClassificationTests.TestConfig, VocabPath = vocab, Device = "cpu", Seed = 5 };
        var data = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(120, 2));

        var embedding = ml.Transforms.Text.GauTextEmbedding(options).Fit(data);
        var first = embedding.Transform(data).GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToArray();
        var again = ml.Transforms.Text.GauTextEmbedding(options).Fit(data).Transform(data)
            .GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()).ToArray();
        Assert.All(first, v => Assert.Equal(TextClassificationTests.TestConfig.HiddenSize, v.Length));
        Assert.Equal(first, again);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, TextClassificationTests.TestConfig.HiddenSize),
            embedding.GetOutputSchema(data.Schema)["Features"].Type);

        // Cache the embeddings: SDCA makes many passes over its input.
        var pipeline = ml.Transforms.Text.GauTextEmbedding(options)
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 50));
        var model = pipeline.Fit(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
        output.WriteLine($"SDCA on (untrained) GAU embeddings, training accuracy {metrics.MicroAccuracy:P1}");
        Assert.True(metrics.MicroAccuracy > 0.34, "features from the embedding carry no signal");
    }
}
