using GauMLNet.Engines;
using GauMLNet.MLNet;
using GauMLNet.TorchSharp.Backend;
using GauMLNet.TorchSharp.Runtime;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.TorchSharp;

/// <summary>
/// GauMLNet's entry points, as extension methods on the ML.NET catalogs:
/// <c>mlContext.MulticlassClassification.Trainers.GauTextClassification(...)</c>,
/// <c>.GauNamedEntityRecognition(...)</c>, <c>mlContext.Regression.Trainers.GauSentenceSimilarity(...)</c>,
/// <c>mlContext.Transforms.Text.GauTextEmbedding(...)</c>, and
/// <c>mlContext.ComponentCatalog.RegisterGauMLNet()</c> so mlContext.Model.Load can read GAU transformers.
/// They wire GauMLNet.Core's engine-agnostic estimators to the TorchSharp training backend and engine. Each trainer has an
/// options overload and one shaped like Microsoft.ML.TorchSharp's (same parameter names, defaults and meanings).
/// </summary>
public static class GauCatalog
{
    public static GauClassificationTrainer GauTextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        GauTextClassificationOptions options) =>
        new(Environment(catalog), options ?? throw new ArgumentNullException(nameof(options)), TorchSharpNetworkBuilder.Instance);

    /// <summary>
    /// Classifies one text column, or sentence pairs ([CLS] a [SEP] b [SEP]: AFQMC, OCNLI, CSL) when
    /// <paramref name="sentence2ColumnName"/> is set. The parameters are Microsoft.ML.TorchSharp's TextClassification's,
    /// with the same names, defaults and meanings, so code written for it runs with the method name changed (its
    /// <c>architecture</c> has no counterpart). It trains the default configuration from scratch; a checkpoint to
    /// fine-tune, the device, the maximum length and the rest are in the options overload. The device follows the
    /// MLContext (GpuDeviceId, FallbackToCpu).
    /// </summary>
    public static GauClassificationTrainer GauTextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = GauTrainerOptionsBase.DefaultLabelColumn, string scoreColumnName = GauTrainerOptionsBase.DefaultScoreColumn,
        string outputColumnName = GauTrainerOptionsBase.DefaultPredictedLabelColumn, string sentence1ColumnName = "Sentence1",
        string? sentence2ColumnName = null, int batchSize = 32, int maxEpochs = 10, IDataView? validationSet = null) =>
        catalog.GauTextClassification(new GauTextClassificationOptions
        {
            LabelColumnName = labelColumnName,
            ScoreColumnName = scoreColumnName,
            PredictedLabelColumnName = outputColumnName,
            SentenceColumnName = sentence1ColumnName,
            SecondSentenceColumnName = sentence2ColumnName,
            BatchSize = batchSize,
            Epochs = maxEpochs,
            ValidationSet = validationSet,
        });

    /// <summary>
    /// Finds named entities (CLUENER-style): a Sentence text column and a label of per-character BIO tag keys (or CLUENER label
    /// JSON text) in; PredictedEntities (and PredictedLabel for the tag form) out. Heads: GlobalPointer (the default: best on CLUENER, see docs/named-entities.md), CRF, softmax.
    /// </summary>
    public static GauNamedEntityRecognitionTrainer GauNamedEntityRecognition(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        GauNamedEntityRecognitionOptions options) =>
        new(Environment(catalog), options ?? throw new ArgumentNullException(nameof(options)), TorchSharpNetworkBuilder.Instance);

    /// <summary>
    /// Finds named entities with Microsoft.ML.TorchSharp's NamedEntityRecognition parameters (names, defaults, meanings).
    /// One difference in the data: the label holds one tag per character (GAU-α reads Chinese characters), where the
    /// anchor's holds one per space-separated word; for Chinese text, which has no spaces, the two agree.
    /// </summary>
    public static GauNamedEntityRecognitionTrainer GauNamedEntityRecognition(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = GauTrainerOptionsBase.DefaultLabelColumn, string outputColumnName = GauTrainerOptionsBase.DefaultPredictedLabelColumn,
        string sentence1ColumnName = "Sentence", int batchSize = 32, int maxEpochs = 10, IDataView? validationSet = null) =>
        catalog.GauNamedEntityRecognition(new GauNamedEntityRecognitionOptions
        {
            LabelColumnName = labelColumnName,
            PredictedLabelColumnName = outputColumnName,
            SentenceColumnName = sentence1ColumnName,
            BatchSize = batchSize,
            Epochs = maxEpochs,
            ValidationSet = validationSet,
        });

    /// <summary>
    /// Answers questions from a context (extractive: the answer is a span of the context): Context and Question in, the
    /// TopK answers (Answer, text vector) and their scores (Score) out; trained on TrainingAnswer and its AnswerIndex.
    /// </summary>
    public static GauQuestionAnsweringTrainer GauQuestionAnswering(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        GauQuestionAnsweringOptions options) =>
        new(Environment(catalog), options ?? throw new ArgumentNullException(nameof(options)), TorchSharpNetworkBuilder.Instance);

    /// <summary>Answers questions with Microsoft.ML.TorchSharp's QuestionAnswer parameters (names, defaults, meanings).</summary>
    public static GauQuestionAnsweringTrainer GauQuestionAnswering(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string contextColumnName = "Context", string questionColumnName = "Question", string trainingAnswerColumnName = "TrainingAnswer",
        string answerIndexColumnName = "AnswerIndex", string predictedAnswerColumnName = "Answer", string scoreColumnName = "Score",
        int topK = 3, int batchSize = 4, int maxEpochs = 10, IDataView? validationSet = null) =>
        catalog.GauQuestionAnswering(new GauQuestionAnsweringOptions
        {
            ContextColumnName = contextColumnName,
            QuestionColumnName = questionColumnName,
            TrainingAnswerColumnName = trainingAnswerColumnName,
            AnswerIndexColumnName = answerIndexColumnName,
            PredictedAnswerColumnName = predictedAnswerColumnName,
            ScoreColumnName = scoreColumnName,
            TopK = topK,
            BatchSize = batchSize,
            Epochs = maxEpochs,
            ValidationSet = validationSet,
        });

    public static GauSentenceSimilarityTrainer GauSentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog, GauSentenceSimilarityOptions options) =>
        new(Environment(catalog), options ?? throw new ArgumentNullException(nameof(options)), TorchSharpNetworkBuilder.Instance);

    /// <summary>Regresses a float label on sentence pairs, with Microsoft.ML.TorchSharp's SentenceSimilarity parameters (names, defaults, meanings).</summary>
    public static GauSentenceSimilarityTrainer GauSentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = GauTrainerOptionsBase.DefaultLabelColumn, string scoreColumnName = GauTrainerOptionsBase.DefaultScoreColumn,
        string sentence1ColumnName = "Sentence1", string sentence2ColumnName = "Sentence2", int batchSize = 32, int maxEpochs = 10,
        IDataView? validationSet = null) =>
        catalog.GauSentenceSimilarity(new GauSentenceSimilarityOptions
        {
            LabelColumnName = labelColumnName,
            ScoreColumnName = scoreColumnName,
            Sentence1ColumnName = sentence1ColumnName,
            Sentence2ColumnName = sentence2ColumnName,
            BatchSize = batchSize,
            Epochs = maxEpochs,
            ValidationSet = validationSet,
        });

    public static GauTextEmbeddingEstimator GauTextEmbedding(this TransformsCatalog.TextTransforms catalog, GauTextEmbeddingOptions options) =>
        new(Environment(catalog), options ?? throw new ArgumentNullException(nameof(options)), TorchSharpNetworkBuilder.Instance);

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

    private static int ProcessSettingsLogged;

    private static IHostEnvironment Environment(object catalog)
    {
        var env = MLNetInternals.GetEnvironment(catalog);
        env.ComponentCatalog.RegisterGauMLNet();
        if (Interlocked.Exchange(ref ProcessSettingsLogged, 1) == 0)
        {
            using var channel = env.Start("GauMLNet");
            channel.Info(MessageSensitivity.None, $"GauMLNet process settings: {ProcessSettings.Describe()}");
        }
        return env;
    }
}
