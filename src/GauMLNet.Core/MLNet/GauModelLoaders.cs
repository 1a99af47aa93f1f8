using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// Registers the GAU transformers' loaders so <c>mlContext.Model.Load</c> can recreate them. Engines register
/// themselves separately (<see cref="Engines.GauEngines"/>); the catalogs of GauMLNet and GauMLNet.Onnx do both.
/// </summary>
internal static class GauModelLoaders
{
    /// <summary>Idempotent per catalog.</summary>
    public static void Register(ComponentCatalog catalog)
    {
        MLNetInternals.RegisterLoader<GauTextClassificationTransformer>(catalog, GauTextClassificationTransformer.ModelVersion, GauTextClassificationTransformer.CreateFromModel);
        MLNetInternals.RegisterLoader<GauSentenceSimilarityTransformer>(catalog, GauSentenceSimilarityTransformer.ModelVersion, GauSentenceSimilarityTransformer.CreateFromModel);
        MLNetInternals.RegisterLoader<GauTextEmbeddingTransformer>(catalog, GauTextEmbeddingTransformer.ModelVersion, GauTextEmbeddingTransformer.CreateFromModel);
        MLNetInternals.RegisterLoader<GauNamedEntityRecognitionTransformer>(catalog, GauNamedEntityRecognitionTransformer.ModelVersion, GauNamedEntityRecognitionTransformer.CreateFromModel);
        MLNetInternals.RegisterLoader<GauQuestionAnsweringTransformer>(catalog, GauQuestionAnsweringTransformer.ModelVersion, GauQuestionAnsweringTransformer.CreateFromModel);
        MLNetInternals.RegisterLoader<GauQuestionAnsweringTransformer>(catalog, GauQuestionAnsweringTransformer.AverageVersion, GauQuestionAnsweringTransformer.CreateAverageFromModel);
        MLNetInternals.RegisterLoader<ScoreAverageTransformer>(catalog, ScoreAverageTransformer.ModelVersion, ScoreAverageTransformer.CreateFromModel);
    }
}
