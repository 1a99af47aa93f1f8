using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Serving.Tests.Support;

/// <summary>
/// Real models, made once for every test class in the collection: a tiny classifier trained with TorchSharp and saved as
/// an ML.NET model file, and a tiny (untrained) embedding transformer, also saved.
/// </summary>
public sealed class TrainedModels : IDisposable
{
    public static readonly GauAlphaConfig Config = GauAlphaConfig.Tiny with { NumHiddenLayers = 1, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };

    public TrainedModels()
    {
        Directory = Path.Combine(Path.GetTempPath(), "gaumlnet-serving-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Context = new MLContext(seed: 1);

        var rows = SyntheticText.Sentences(96, seed: 1).Select(r => new Row { Sentence = r.Sentence ?? "", Label = r.Label }).ToList();
        var train = Context.Data.LoadFromEnumerable(rows);
        Classifier = Context.Transforms.Conversion.MapValueToKey("Label")
            .Append(Context.MulticlassClassification.Trainers.GauTextClassification(new GauTextClassificationOptions
            {
                SentenceColumnName = nameof(Row.Sentence),
                Config = Config,
                Epochs = 3,
                BatchSize = 16,
                LearningRate = 2e-3,
                MaxLength = 32,
                Device = "cpu",
                Seed = 1,
            }))
            .Append(Context.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train);
        ClassifierPath = Path.Combine(Directory, "classifier.zip");
        Context.Model.Save(Classifier, train.Schema, ClassifierPath);

        string vocab = Path.Combine(Directory, "vocab.txt");
        VocabularyBuilder.Save(VocabularyBuilder.Build(rows.Select(r => r.Sentence)), vocab);
        Embedder = Context.Transforms.Text.GauTextEmbedding(new GauTextEmbeddingOptions
        {
            InputColumnName = nameof(Row.Sentence),
            Config = Config,
            VocabPath = vocab,
            MaxLength = 32,
            Device = "cpu",
            Seed = 3,
        }).Fit(train);
        EmbedderPath = Path.Combine(Directory, "embedder.zip");
        Context.Model.Save(Embedder, train.Schema, EmbedderPath);
        Sentences = [.. SyntheticText.Sentences(12, seed: 2).Select(r => r.Sentence ?? "")];
    }

    public string Directory { get; }
    public MLContext Context { get; }
    public ITransformer Classifier { get; }
    public string ClassifierPath { get; }
    public GauTextEmbeddingTransformer Embedder { get; }
    public string EmbedderPath { get; }
    public string[] Sentences { get; }

    /// <summary>What the ML.NET pipeline predicts (TorchSharp), row by row.</summary>
    public (string Label, float[] Score)[] Predict(IEnumerable<string> sentences)
    {
        var engine = Context.Model.CreatePredictionEngine<Row, Prediction>(Classifier);
        return [.. sentences.Select(s => engine.Predict(new Row { Sentence = s })).Select(p => (p.PredictedLabel, p.Score))];
    }

    public float[][] Embed(IEnumerable<string> sentences) =>
        [.. Embedder.Transform(Context.Data.LoadFromEnumerable(sentences.Select(s => new Row { Sentence = s })))
            .GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray())];

    public void Dispose()
    {
        Embedder.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    public sealed class Row
    {
        public string Sentence { get; set; } = "";
        public string Label { get; set; } = "";
    }

    public sealed class Prediction
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }
}

[CollectionDefinition(Name)]
public sealed class TrainedModelsCollection : ICollectionFixture<TrainedModels>
{
    public const string Name = "trained models";
}
