using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Modeling;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Tests.MLNet;

[Collection(GlobalTorchRngCollection.Name)]
public class GradientCheckpointingTests
{
    [Fact]
    public void FittingWithGradientCheckpointingGivesTheSameModelWithDropoutOn()
    {
        float[][] FitAndScore(bool? checkpointing, out int recomputed)
        {
            var ml = new MLContext(seed: 1);
            var train = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(96, seed: 1));
            int before = LayerCheckpoint.RecomputedLayers;
            var model = ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.MulticlassClassification.Trainers.GauTextClassification(TextClassificationTests.Options with
                {
                    Config = TextClassificationTests.TestConfig with { HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1 },
                    Epochs = 2,
                    GradientCheckpointing = checkpointing,
                }))
                .Fit(train);
            recomputed = LayerCheckpoint.RecomputedLayers - before;
            return model.Transform(train).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        }

        var plain = FitAndScore(null, out int plainRecomputed);
        var recomputedModel = FitAndScore(true, out int recomputed);
        Assert.Equal(0, plainRecomputed);
        Assert.Equal(2 * 6 * 2, recomputed); // 2 epochs × 6 batches of 16 × 2 layers
        Assert.Equal(plain, recomputedModel);
    }
}
