using GauMLNet.Engine;
using GauMLNet.Engines;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// GauMLNet's entry points, as extension methods on the ML.NET catalogs:
/// <c>mlContext.MulticlassClassification.Trainers.GauTextClassification(...)</c>,
/// <c>.GauSentencePairClassification(...)</c>, <c>mlContext.Regression.Trainers.GauSentenceSimilarity(...)</c>,
/// <c>mlContext.Transforms.Text.GauTextEmbedding(...)</c>, and
/// <c>mlContext.ComponentCatalog.RegisterGauMLNet()</c> so mlContext.Model.Load can read GAU transformers.
/// They wire GauMLNet.Core's engine-agnostic estimators to the TorchSharp training backend and engine.
/// </summary>
public static class GauCatalog
{
    public static GauClassificationTrainer GauTextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        GauTextClassificationOptions options) =>
        new(Environment(catalog), options ?? throw new ArgumentNullException(nameof(options)), TorchSharpTrainingBackend.Instance);

    /// <summary>Classifies one text column; from scratch (Tiny) unless <paramref name="modelDirectory"/> names a checkpoint.</summary>
    public static GauClassificationTrainer GauTextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = GauTrainerOptionsBase.DefaultLabelColumn, string sentenceColumnName = "Sentence",
        string? modelDirectory = null, int epochs = 3, int batchSize = 32, int maxLength = 128, string device = "auto") =>
        catalog.GauTextClassification(new GauTextClassificationOptions
        {
            LabelColumnName = labelColumnName,
            SentenceColumnName = sentenceColumnName,
            ModelDirectory = modelDirectory,
            Epochs = epochs,
            BatchSize = batchSize,
            MaxLength = maxLength,
            Device = device,
        });

    /// <summary>
    /// Classifies sentence pairs ([CLS] a [SEP] b [SEP]): AFQMC, OCNLI, CMNLI, CSL. Shorthand for GauTextClassification
    /// with <see cref="GauTextClassificationOptions.SecondSentenceColumnName"/> set; use that options form for every other setting.
    /// </summary>
    public static GauClassificationTrainer GauSentencePairClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = GauTrainerOptionsBase.DefaultLabelColumn, string sentence1ColumnName = "Sentence1", string sentence2ColumnName = "Sentence2",
        string? modelDirectory = null, int epochs = 3, int batchSize = 32, int maxLength = 128, string device = "auto") =>
        catalog.GauTextClassification(new GauTextClassificationOptions
        {
            LabelColumnName = labelColumnName,
            SentenceColumnName = sentence1ColumnName,
            SecondSentenceColumnName = sentence2ColumnName,
            ModelDirectory = modelDirectory,
            Epochs = epochs,
            BatchSize = batchSize,
            MaxLength = maxLength,
            Device = device,
        });

    /// <summary>
    /// Finds named entities (CLUENER-style): a Sentence text column and a label of per-character BIO tag keys (or CLUENER label
    /// JSON text) in; PredictedEntities (and PredictedLabel for the tag form) out. Heads: GlobalPointer (the default: best on CLUENER, see the README), CRF, softmax.
    /// </summary>
    public static GauNamedEntityRecognitionTrainer GauNamedEntityRecognition(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        GauNamedEntityRecognitionOptions options) =>
        new(Environment(catalog), options ?? throw new ArgumentNullException(nameof(options)), TorchSharpTrainingBackend.Instance);

    /// <summary>Finds named entities; from scratch (Tiny) unless <paramref name="modelDirectory"/> names a checkpoint.</summary>
    public static GauNamedEntityRecognitionTrainer GauNamedEntityRecognition(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = GauTrainerOptionsBase.DefaultLabelColumn, string sentenceColumnName = "Sentence", string? modelDirectory = null,
        Configuration.EntityHead head = Configuration.EntityHead.GlobalPointer, int epochs = 3, int batchSize = 32, int maxLength = 128, string device = "auto") =>
        catalog.GauNamedEntityRecognition(new GauNamedEntityRecognitionOptions
        {
            LabelColumnName = labelColumnName,
            SentenceColumnName = sentenceColumnName,
            ModelDirectory = modelDirectory,
            Head = head,
            Epochs = epochs,
            BatchSize = batchSize,
            MaxLength = maxLength,
            Device = device,
        });

    public static GauSentenceSimilarityTrainer GauSentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog, GauSentenceSimilarityOptions options) =>
        new(Environment(catalog), options ?? throw new ArgumentNullException(nameof(options)), TorchSharpTrainingBackend.Instance);

    /// <summary>Regresses a float label on sentence pairs.</summary>
    public static GauSentenceSimilarityTrainer GauSentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = GauTrainerOptionsBase.DefaultLabelColumn, string sentence1ColumnName = "Sentence1", string sentence2ColumnName = "Sentence2",
        string? modelDirectory = null, int epochs = 3, int batchSize = 32, int maxLength = 128, string device = "auto") =>
        catalog.GauSentenceSimilarity(new GauSentenceSimilarityOptions
        {
            LabelColumnName = labelColumnName,
            Sentence1ColumnName = sentence1ColumnName,
            Sentence2ColumnName = sentence2ColumnName,
            ModelDirectory = modelDirectory,
            Epochs = epochs,
            BatchSize = batchSize,
            MaxLength = maxLength,
            Device = device,
        });

    public static GauTextEmbeddingEstimator GauTextEmbedding(this TransformsCatalog.TextTransforms catalog, GauTextEmbeddingOptions options) =>
        new(Environment(catalog), options ?? throw new ArgumentNullException(nameof(options)), TorchSharpTrainingBackend.Instance);

    /// <summary>Embeds a text column with a checkpoint's encoder (mean pooling).</summary>
    public static GauTextEmbeddingEstimator GauTextEmbedding(this TransformsCatalog.TextTransforms catalog, string modelDirectory,
        string outputColumnName = "Features", string inputColumnName = "Sentence", string device = "auto") =>
        catalog.GauTextEmbedding(new GauTextEmbeddingOptions
        {
            ModelDirectory = modelDirectory,
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            Device = device,
        });

    /// <summary>
    /// Lets <c>mlContext.Model.Load</c> recreate GAU transformers scored with TorchSharp. Call once per MLContext before
    /// loading a model in a process that has not created a GAU estimator (creating one registers too). Idempotent.
    /// </summary>
    public static ComponentCatalog RegisterGauMLNet(this ComponentCatalog catalog)
    {
        GauEngines.Register(new TorchSharpEngineFactory());
        GauModelLoaders.Register(catalog);
        return catalog;
    }

    private static IHostEnvironment Environment(object catalog)
    {
        var env = MLNetInternals.GetEnvironment(catalog);
        env.ComponentCatalog.RegisterGauMLNet();
        return env;
    }
}
