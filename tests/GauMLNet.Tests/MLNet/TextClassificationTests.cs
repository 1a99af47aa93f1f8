using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.MLNet;

/// <summary>A GAU-α text classifier as a full ML.NET citizen, on a synthetic task and a tiny config.</summary>
public class TextClassificationTests(ITestOutputHelper output, TextClassificationTests.TrainedClassifier trained) : IClassFixture<TextClassificationTests.TrainedClassifier>
{
    internal static readonly GauAlphaConfig TestConfig = GauAlphaConfig.Tiny with { NumHiddenLayers = 2, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };

    internal static GauTextClassificationOptions Options => new()
    {
        Config = TestConfig,
        Epochs = 6,
        BatchSize = 16,
        LearningRate = 2e-3,
        Device = "cpu",
        Seed = 1,
    };

    /// <summary>One classifier trained once and shared by the tests that only read it.</summary>
    public sealed class TrainedClassifier
    {
        public TrainedClassifier()
        {
            Context = new MLContext(seed: 1);
            Train = Context.Data.LoadFromEnumerable(SyntheticText.Sentences(300, seed: 1));
            Test = Context.Data.LoadFromEnumerable(SyntheticText.Sentences(100, seed: 2));
            Pipeline = Context.Transforms.Conversion.MapValueToKey("Label")
                .Append(Context.MulticlassClassification.Trainers.GauTextClassification(Options))
                .Append(Context.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
            Model = Pipeline.Fit(Train);
        }

        public MLContext Context { get; }
        public IDataView Train { get; }
        public IDataView Test { get; }
        public EstimatorChain<Microsoft.ML.Transforms.KeyToValueMappingTransformer> Pipeline { get; }
        public TransformerChain<Microsoft.ML.Transforms.KeyToValueMappingTransformer> Model { get; }
    }

    private readonly TrainedClassifier _trained = trained;

    [Fact]
    public void LearnsTheSyntheticTaskAndEvaluates()
    {
        var ml = _trained.Context;
        var metrics = ml.MulticlassClassification.Evaluate(_trained.Model.Transform(_trained.Test));
        output.WriteLine($"held-out micro accuracy {metrics.MicroAccuracy:P1}, log-loss {metrics.LogLoss:F3}");
        Assert.True(metrics.MicroAccuracy >= 0.95, $"accuracy {metrics.MicroAccuracy:P1}");
    }

    [Fact]
    public void PredictionEngineMapsBackToTheOriginalLabels()
    {
        var engine = _trained.Context.Model.CreatePredictionEngine<SentenceRow, ClassPrediction>(_trained.Model);
        var good = engine.Predict(new SentenceRow { Sentence = "今天的天气真好啊" });
        var bad = engine.Predict(new SentenceRow { Sentence = "这个东西很坏" });
        Assert.Equal("positive", good.PredictedLabel);
        Assert.Equal("negative", bad.PredictedLabel);
        Assert.Equal(3, good.Score.Length);
        Assert.Equal(1.0, good.Score.Sum(), 4);
        var again = engine.Predict(new SentenceRow { Sentence = "今天的天气真好啊" });
        Assert.Equal(good.Score, again.Score);
    }

    [Fact]
    public void OutputSchemaHasTypedScoresWithSlotNamesAndAKeyPrediction()
    {
        var classifier = (GauTextClassificationTransformer)_trained.Model.Skip(1).First();
        var keyed = _trained.Model.Take(1).Single().Transform(_trained.Test);
        var schema = classifier.GetOutputSchema(keyed.Schema);

        var score = schema["Score"];
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), score.Type);
        VBuffer<ReadOnlyMemory<char>> slots = default;
        score.GetSlotNames(ref slots);
        Assert.Equal(["negative", "neutral", "positive"], slots.DenseValues().Select(s => s.ToString()).Order());
        var predicted = schema["PredictedLabel"];
        Assert.Equal(keyed.Schema["Label"].Type, predicted.Type);
        VBuffer<ReadOnlyMemory<char>> keys = default;
        predicted.GetKeyValues(ref keys);
        Assert.Equal(3, keys.Length);

        var preview = _trained.Model.Transform(_trained.Test).Preview(maxRows: 3);
        Assert.Contains(preview.Schema, c => c.Name == "Score");
        Assert.Equal(3, preview.RowView.Length);

        var shape = _trained.Pipeline.GetOutputSchema(MLNetInternals.ToSchemaShape(_trained.Train.Schema));
        var scoreShape = shape.Single(c => c.Name == "Score");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, scoreShape.Kind);
        Assert.Equal(NumberDataViewType.Single, scoreShape.ItemType);
        Assert.True(shape.Single(c => c.Name == "PredictedLabel").ItemType is TextDataViewType); // mapped back to text by MapKeyToValue
    }

    [Fact]
    public void TransformIsLazyAndBatched()
    {
        var classifier = (GauTextClassificationTransformer)_trained.Model.Skip(1).First();
        var keyed = _trained.Model.Take(1).Single().Transform(_trained.Test);
        long before = classifier.Model.ForwardPasses;
        var scored = classifier.Transform(keyed);
        Assert.Equal(before, classifier.Model.ForwardPasses); // nothing ran yet

        var scores = scored.GetColumn<VBuffer<float>>("Score").ToList();
        long passes = classifier.Model.ForwardPasses - before;
        output.WriteLine($"{scores.Count} rows scored in {passes} forward passes");
        Assert.Equal(100, scores.Count);
        Assert.InRange(passes, 1, 100 / 16 + 2); // batches of 16, never one row per pass
    }

    [Fact]
    public void TransformKeepsRowOrderAndMatchesRowByRowScores()
    {
        var ml = _trained.Context;
        var rows = SyntheticText.Sentences(40, seed: 9);
        var batched = _trained.Model.Transform(ml.Data.LoadFromEnumerable(rows))
            .GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();
        var engine = ml.Model.CreatePredictionEngine<SentenceRow, ClassPrediction>(_trained.Model);
        for (int i = 0; i < rows.Count; i++)
        {
            var single = engine.Predict(rows[i]).Score;
            for (int k = 0; k < 3; k++) Assert.Equal(single[k], batched[i][k], 4);
        }
    }

    [Fact]
    public void SaveAndLoadAZipGivesIdenticalPredictions()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "classifier.zip");
        _trained.Context.Model.Save(_trained.Model, _trained.Train.Schema, path);
        output.WriteLine($"saved model: {new FileInfo(path).Length / 1024.0:F0} KiB");

        var fresh = new MLContext();
        fresh.ComponentCatalog.RegisterGauMLNet();
        var loaded = fresh.Model.Load(path, out var schema);
        Assert.Equal(_trained.Train.Schema.Count, schema.Count);

        float[][] Scores(MLContext ml, ITransformer model) => model.Transform(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(30, seed: 4)))
            .GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        Assert.Equal(Scores(_trained.Context, _trained.Model), Scores(fresh, loaded));
        var labels = loaded.Transform(fresh.Data.LoadFromEnumerable(SyntheticText.Sentences(5, seed: 4))).GetColumn<string>("PredictedLabel").ToList();
        Assert.All(labels, l => Assert.Contains(l, new[] { "positive", "negative", "neutral" }));
    }

    [Fact]
    public void CheckpointDirectoryRoundTripsWithoutMLNetInternals()
    {
        var classifier = (GauTextClassificationTransformer)_trained.Model.Skip(1).First();
        string dir = TestPaths.NewTempDirectory();
        classifier.SaveCheckpoint(dir);
        Assert.True(File.Exists(Path.Combine(dir, "vocab.txt")));
        using var reloaded = GauTextClassificationTransformer.LoadCheckpoint(_trained.Context, dir, device: "cpu");
        var keyed = _trained.Model.Take(1).Single().Transform(_trained.Test);
        var a = classifier.Transform(keyed).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        var b = reloaded.Transform(keyed).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        Assert.Equal(a, b);
    }
}
