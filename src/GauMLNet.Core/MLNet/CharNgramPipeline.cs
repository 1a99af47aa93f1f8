using GauMLNet.Clue;
using Microsoft.ML;
using Microsoft.ML.Transforms.Text;

namespace GauMLNet.MLNet;

/// <summary>
/// ML.NET's classic text classifier over <see cref="ClueExample"/> rows: character 1–3-gram bags of Sentence1 (and of
/// Sentence2 for pairs), L2-normalized by FeaturizeText, into SdcaMaximumEntropy. The baseline GAU-α is measured against,
/// and a candidate of a pipeline selection.
/// </summary>
public static class CharNgramPipeline
{
    /// <summary>The n-gram features of Sentence1 (and Sentence2) in one vector column.</summary>
    public static IEstimator<ITransformer> Features(MLContext ml, bool isPair, string outputColumnName = "Features")
    {
        ArgumentNullException.ThrowIfNull(ml);
        static TextFeaturizingEstimator.Options CharNgrams() => new()
        {
            WordFeatureExtractor = null,
            CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = 3, UseAllLengths = true },
        };
        string first = outputColumnName + ".Sentence1", second = outputColumnName + ".Sentence2";
        IEstimator<ITransformer> features = ml.Transforms.Text.FeaturizeText(first, CharNgrams(), nameof(ClueExample.Sentence1));
        if (isPair) features = features.Append(ml.Transforms.Text.FeaturizeText(second, CharNgrams(), nameof(ClueExample.Sentence2)));
        return features.Append(ml.Transforms.Concatenate(outputColumnName, isPair ? [first, second] : [first]));
    }

    /// <summary>The n-gram features into <see cref="SdcaClassifier"/>.</summary>
    public static IEstimator<ITransformer> Classifier(MLContext ml, bool isPair) => SdcaClassifier(ml, Features(ml, isPair));

    /// <summary>
    /// <paramref name="features"/> (writing a Features column), the label to keys in sorted order, a cache (the trainer
    /// passes over the rows many times), SdcaMaximumEntropy, and PredictedLabel back to text.
    /// </summary>
    public static IEstimator<ITransformer> SdcaClassifier(MLContext ml, IEstimator<ITransformer> features) =>
        features
            .Append(CluePipeline.LabelKeys(ml))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy())
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
}
