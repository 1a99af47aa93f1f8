using GauMLNet.Clue;
using GauMLNet.Experiments;
using GauMLNet.MLNet;
using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace GauMLNet.TorchSharp;

/// <summary>
/// The pipelines a few-label selection (<see cref="PipelineSelection"/>) chooses between, each an ordinary ML.NET chain over
/// <see cref="ClueExample"/> rows that ends in PredictedLabel (text) and Score: character n-grams, GAU-α embeddings beside
/// n-grams (hybrid), and GAU-α fine-tuned. Cost orders them for the tie-break: n-grams are the cheapest to train and serve.
/// </summary>
public static class GauPipelineCandidates
{
    public const string CharNgramsName = "char-ngrams", HybridName = "hybrid", FineTunedName = "gau-fine-tuned";

    /// <summary>Character 1–3-grams into SdcaMaximumEntropy (<see cref="CharNgramPipeline"/>).</summary>
    public static PipelineCandidate CharNgrams(MLContext ml, bool isPair) =>
        new(CharNgramsName, 0, "character 1-3-grams + SdcaMaximumEntropy", _ => CharNgramPipeline.Classifier(ml, isPair));

    /// <summary>
    /// The encoder's mean-pooled embedding of the text (or pair), L2-normalized like the n-gram vector and concatenated with
    /// it, into SdcaMaximumEntropy: the encoder is not trained, so it fits in seconds and cannot overfit a few rows.
    /// </summary>
    public static PipelineCandidate Hybrid(MLContext ml, bool isPair, string encoderDirectory, int maxLength = 128, string? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderDirectory);
        return new(HybridName, 1, $"GAU-α embeddings ({Path.GetFileName(Path.TrimEndingDirectorySeparator(encoderDirectory))}) + character 1-3-grams + SdcaMaximumEntropy", _ =>
            CharNgramPipeline.Features(ml, isPair, "NgramFeatures")
                .Append(ml.Transforms.Text.GauTextEmbedding(new GauTextEmbeddingOptions
                {
                    ModelDirectory = encoderDirectory,
                    InputColumnName = nameof(ClueExample.Sentence1),
                    SecondInputColumnName = isPair ? nameof(ClueExample.Sentence2) : null,
                    OutputColumnName = "GauEmbedding",
                    MaxLength = maxLength,
                    Device = device,
                }))
                .Append(ml.Transforms.NormalizeLpNorm("GauEmbedding"))
                .Append(ml.Transforms.Concatenate("Features", "NgramFeatures", "GauEmbedding"))
                .Append(ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue))
                .AppendCacheCheckpoint(ml)
                .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy())
                .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")));
    }

    /// <summary>
    /// GAU-α fine-tuned as <paramref name="options"/> say (a checkpoint in ModelDirectory, or a Config from scratch); the
    /// text columns, the label and the budget's token are set here.
    /// </summary>
    public static PipelineCandidate FineTuned(MLContext ml, bool isPair, GauTextClassificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string from = options.ModelDirectory is { } directory ? Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)) : "from scratch";
        return new(FineTunedName, 2, $"GAU-α fine-tuned ({from}, {options.Epochs} epochs)", token =>
            ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
                .Append(ml.MulticlassClassification.Trainers.GauTextClassification(options with
                {
                    SentenceColumnName = nameof(ClueExample.Sentence1),
                    SecondSentenceColumnName = isPair ? nameof(ClueExample.Sentence2) : null,
                    LabelColumnName = "Label",
                    CancellationToken = token,
                }))
                .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")));
    }
}
