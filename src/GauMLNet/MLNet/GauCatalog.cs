using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// GauMLNet's entry points, as extension methods on the ML.NET catalogs:
/// <c>mlContext.MulticlassClassification.Trainers.GauTextClassification(...)</c>,
/// <c>.GauSentencePairClassification(...)</c>, <c>mlContext.Regression.Trainers.GauSentenceSimilarity(...)</c>,
/// <c>mlContext.Transforms.Text.GauTextEmbedding(...)</c>, and
/// <c>mlContext.ComponentCatalog.RegisterGauMLNet()</c> so mlContext.Model.Load can read GAU transformers.
/// </summary>
public static class GauCatalog
{
    public static GauClassificationTrainer GauTextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        GauTextClassificationOptions options) =>
        new(MLNetInternals.GetEnvironment(catalog), options ?? throw new ArgumentNullException(nameof(options)));

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

    public static GauClassificationTrainer GauSentencePairClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        GauSentencePairClassificationOptions options) =>
        new(MLNetInternals.GetEnvironment(catalog), options ?? throw new ArgumentNullException(nameof(options)));

    /// <summary>Classifies sentence pairs ([CLS] a [SEP] b [SEP]): AFQMC, OCNLI, CMNLI, CSL.</summary>
    public static GauClassificationTrainer GauSentencePairClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = GauTrainerOptionsBase.DefaultLabelColumn, string sentence1ColumnName = "Sentence1", string sentence2ColumnName = "Sentence2",
        string? modelDirectory = null, int epochs = 3, int batchSize = 32, int maxLength = 128, string device = "auto") =>
        catalog.GauSentencePairClassification(new GauSentencePairClassificationOptions
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

    public static GauSentenceSimilarityTrainer GauSentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog, GauSentenceSimilarityOptions options) =>
        new(MLNetInternals.GetEnvironment(catalog), options ?? throw new ArgumentNullException(nameof(options)));

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
        new(MLNetInternals.GetEnvironment(catalog), options ?? throw new ArgumentNullException(nameof(options)));

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

    /// <summary>Registers GauMLNet's loaders with this context, then loads a model zip: <c>mlContext.Model.Load</c> for models holding GAU transformers.</summary>
    public static ITransformer LoadGauModel(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema)
    {
        MLNetInternals.GetEnvironment(catalog).ComponentCatalog.RegisterGauMLNet();
        return catalog.Load(filePath, out inputSchema);
    }

    /// <summary>
    /// Lets <c>mlContext.Model.Load</c> recreate GAU transformers. Call once per MLContext before loading a
    /// model in a process that has not created a GAU estimator (creating one registers too). Idempotent.
    /// </summary>
    public static ComponentCatalog RegisterGauMLNet(this ComponentCatalog catalog)
    {
        Register<GauTextClassificationTransformer>(catalog, GauTextClassificationTransformer.ModelVersion);
        Register<GauSentenceSimilarityTransformer>(catalog, GauSentenceSimilarityTransformer.ModelVersion);
        Register<GauTextEmbeddingTransformer>(catalog, GauTextEmbeddingTransformer.ModelVersion);
        return catalog;
    }

    private static void Register<T>(ComponentCatalog catalog, GauModelVersion version)
    {
        var create = typeof(T).GetMethod("CreateFromModel", BindingFlags.Static | BindingFlags.NonPublic, [typeof(IHostEnvironment), typeof(object)])
            ?? throw new MissingMethodException(typeof(T).Name, "CreateFromModel");
        MLNetInternals.RegisterLoader(catalog, typeof(T), version.LoaderSignature, create);
    }
}
