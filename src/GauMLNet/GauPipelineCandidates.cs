using GauMLNet.Clue;
using GauMLNet.Experiments;
using GauMLNet.MLNet;
using Microsoft.ML;

namespace GauMLNet.TorchSharp;

/// <summary>
/// The pipelines a few-label selection (<see cref="PipelineSelection"/>) chooses between, each an ordinary ML.NET chain over
/// <see cref="ClueExample"/> rows that ends in PredictedLabel (text) and Score: character n-grams, GAU-α embeddings beside
/// n-grams (hybrid), GAU-α fine-tuned (from an encoder, and from scratch beside it), and the ensemble averaging their
/// probabilities. Cost orders them for the tie-break: n-grams are the cheapest to train and serve.
/// </summary>
public static class GauPipelineCandidates
{
    public const string CharNgramsName = "char-ngrams", HybridName = "hybrid", FineTunedName = "gau-fine-tuned", FromScratchName = "gau-from-scratch",
        EnsembleName = "ensemble";

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
        return new(HybridName, 1, $"GAU-α embeddings ({NameOf(encoderDirectory)}) + character 1-3-grams + SdcaMaximumEntropy", _ =>
            CharNgramPipeline.SdcaClassifier(ml, HybridFeatures(ml, isPair, encoderDirectory, maxLength, device, "Features")));
    }

    private static IEstimator<ITransformer> HybridFeatures(MLContext ml, bool isPair, string encoderDirectory, int maxLength, string? device, string outputColumnName) =>
        CharNgramPipeline.Features(ml, isPair, outputColumnName + ".Ngrams")
            .Append(ml.Transforms.Text.GauTextEmbedding(new GauTextEmbeddingOptions
            {
                ModelDirectory = encoderDirectory,
                InputColumnName = nameof(ClueExample.Sentence1),
                SecondInputColumnName = isPair ? nameof(ClueExample.Sentence2) : null,
                OutputColumnName = outputColumnName + ".Gau",
                MaxLength = maxLength,
                Device = device,
            }))
            .Append(ml.Transforms.NormalizeLpNorm(outputColumnName + ".Gau"))
            .Append(ml.Transforms.Concatenate(outputColumnName, outputColumnName + ".Ngrams", outputColumnName + ".Gau"));

    private static string NameOf(string directory) => Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));

    /// <summary>
    /// GAU-α fine-tuned as <paramref name="options"/> say (a checkpoint in ModelDirectory, or a Config from scratch); the
    /// text columns, the label and the budget's token are set here.
    /// </summary>
    public static PipelineCandidate FineTuned(MLContext ml, bool isPair, GauTextClassificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string from = options.ModelDirectory is { } directory ? NameOf(directory)
            : options.Config is { } c ? $"from scratch, {c.NumHiddenLayers} layers of d {c.HiddenSize}" : "from scratch";
        string rate = GauFitting.LearningRateOf(options).ToString("G3", System.Globalization.CultureInfo.InvariantCulture) + (options.LearningRate is null ? ", the default" : "");
        return new(FineTunedName, 2, $"GAU-α fine-tuned ({from}, {options.Epochs} epochs, learning rate {rate})", token =>
            CluePipeline.LabelKeys(ml)
                .Append(ml.MulticlassClassification.Trainers.GauTextClassification(FineTuning(options, isPair, token)))
                .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")));
    }

    /// <summary>
    /// GAU-α fine-tuned from scratch (<paramref name="options"/>' Config, no ModelDirectory) under its own name, to stand
    /// beside <see cref="FineTuned"/> from an encoder: in-domain pretraining does not help every task, and the selection
    /// tells which.
    /// </summary>
    public static PipelineCandidate FromScratch(MLContext ml, bool isPair, GauTextClassificationOptions options)
    {
        RequireFromScratch(options, nameof(options));
        return FineTuned(ml, isPair, options) with { Name = FromScratchName };
    }

    private static void RequireFromScratch(GauTextClassificationOptions options, string parameter)
    {
        ArgumentNullException.ThrowIfNull(options, parameter);
        if (options.ModelDirectory is not null || options.Config is null)
            throw new ArgumentException("GAU-α from scratch needs a Config and no ModelDirectory.", parameter);
    }

    private static GauTextClassificationOptions FineTuning(GauTextClassificationOptions options, bool isPair, CancellationToken token) => options with
    {
        SentenceColumnName = nameof(ClueExample.Sentence1),
        SecondSentenceColumnName = isPair ? nameof(ClueExample.Sentence2) : null,
        LabelColumnName = "Label",
        CancellationToken = token,
    };

    /// <summary>
    /// The mean of the class probabilities of the n-gram classifier, the hybrid (with an encoder), GAU-α fine-tuned and,
    /// when <paramref name="fromScratch"/> is given, GAU-α fine-tuned from scratch, all trained in one chain on one label
    /// mapping (<see cref="ScoreAverageEstimator"/>): the dearest candidate, as it trains all of them.
    /// </summary>
    public static PipelineCandidate Ensemble(MLContext ml, bool isPair, GauTextClassificationOptions options, string? encoderDirectory = null,
        int maxLength = 128, string? device = null, GauTextClassificationOptions? fromScratch = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (fromScratch is not null) RequireFromScratch(fromScratch, nameof(fromScratch));
        string members = (encoderDirectory is null ? "char-ngrams + gau-fine-tuned" : "char-ngrams + hybrid + gau-fine-tuned")
            + (fromScratch is null ? "" : " + gau-from-scratch");
        return new(EnsembleName, 3, $"the mean of the probabilities of {members}", token =>
        {
            var scores = new List<string> { "Score.Ngrams" };
            IEstimator<ITransformer> chain = CluePipeline.LabelKeys(ml)
                .Append(CharNgramPipeline.Features(ml, isPair, "Features.Ngrams"))
                .AppendCacheCheckpoint(ml)
                .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(featureColumnName: "Features.Ngrams"))
                .Append(ml.Transforms.CopyColumns("Score.Ngrams", "Score"));
            if (encoderDirectory is not null)
            {
                chain = chain.Append(HybridFeatures(ml, isPair, encoderDirectory, maxLength, device, "Features.Hybrid"))
                    .AppendCacheCheckpoint(ml) // the embeddings once, not on every pass of the trainer
                    .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(featureColumnName: "Features.Hybrid"))
                    .Append(ml.Transforms.CopyColumns("Score.Hybrid", "Score"));
                scores.Add("Score.Hybrid");
            }
            void AddGau(GauTextClassificationOptions member, string suffix)
            {
                chain = chain.Append(ml.MulticlassClassification.Trainers.GauTextClassification(FineTuning(member, isPair, token) with
                {
                    ScoreColumnName = "Score." + suffix,
                    PredictedLabelColumnName = "PredictedLabel." + suffix,
                }));
                scores.Add("Score." + suffix);
            }
            AddGau(options, "Gau");
            if (fromScratch is not null) AddGau(fromScratch, "Scratch");
            return chain.Append(new ScoreAverageEstimator(scores));
        });
    }
}
