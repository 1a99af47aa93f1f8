using GauMLNet.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Training;
using GauMLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Tests.MLNet;

/// <summary>Tests that rely on libtorch's global RNG (dropout) must not run beside others that reseed it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalTorchRngCollection
{
    public const string Name = "global torch RNG";
}

[Collection(GlobalTorchRngCollection.Name)]
public class ResumeTests
{
    [Fact]
    public void AnInterruptedFitResumesToTheSameModelAsAnUninterruptedOne()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(96, 12));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        // Dropout on: the resumed run must also reproduce the random masks.
        var options = TextClassificationTests.Options with
        {
            Config = TextClassificationTests.TestConfig with { HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1 },
            Epochs = 3,
        };
        float[][] Scores(ITransformer model) => model.Transform(data).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();

        var uninterrupted = Scores(ml.MulticlassClassification.Trainers.GauTextClassification(options).Fit(data));

        string checkpoints = TestPaths.NewTempDirectory();
        using var cancel = new CancellationTokenSource();
        var interruptAtEpoch2 = new StepProgress(p => { if (p.Epoch == 2 && p.ValidationMetric is null) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.MulticlassClassification.Trainers.GauTextClassification(options with
        {
            CheckpointDirectory = checkpoints,
            CancellationToken = cancel.Token,
            Progress = interruptAtEpoch2,
        }).Fit(data));
        Assert.True(TrainingCheckpoint.Exists(checkpoints));

        var resumedModel = ml.MulticlassClassification.Trainers.GauTextClassification(options with { CheckpointDirectory = checkpoints, Resume = true }).Fit(data);
        var resumed = Scores(resumedModel);

        Assert.Equal(3 * 6, resumedModel.TrainingResult!.StepLosses.Count); // the curve covers all three epochs
        for (int i = 0; i < uninterrupted.Length; i++)
            for (int k = 0; k < uninterrupted[i].Length; k++)
                Assert.Equal(uninterrupted[i][k], resumed[i][k], 5);
    }

    [Fact]
    public void AWeightAverageLeavesTrainingAloneBecomesTheModelAndResumesExactly()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(96, 12));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var plain = TextClassificationTests.Options with
        {
            Config = TextClassificationTests.TestConfig with { HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1 },
            Epochs = 3,
            ValidationSet = data,
        };
        var options = plain with { WeightAverageDecay = 0.9 };
        float[][] Scores(ITransformer model) => model.Transform(data).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        GauTextClassificationTransformer Fit(GauTextClassificationOptions o) => ml.MulticlassClassification.Trainers.GauTextClassification(o).Fit(data);

        var withoutModel = Fit(plain);
        var averagedModel = Fit(options);
        // The average is read, never trained: the steps' losses are the same bit for bit, the validation scores and the model are not.
        Assert.Equal(withoutModel.TrainingResult!.StepLosses, averagedModel.TrainingResult!.StepLosses);
        Assert.NotEqual(withoutModel.TrainingResult.ValidationMetrics, averagedModel.TrainingResult.ValidationMetrics);
        var without = Scores(withoutModel);
        var averaged = Scores(averagedModel);
        Assert.Contains(Enumerable.Range(0, averaged.Length), i => Math.Abs(averaged[i][0] - without[i][0]) > 1e-3);

        string checkpoints = TestPaths.NewTempDirectory();
        using var cancel = new CancellationTokenSource();
        var interruptAtEpoch2 = new StepProgress(p => { if (p.Epoch == 2 && p.ValidationMetric is null) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => Fit(options with { CheckpointDirectory = checkpoints, CancellationToken = cancel.Token, Progress = interruptAtEpoch2 }));

        var refused = Assert.Throws<CheckpointFingerprintException>(() => Fit(plain with { CheckpointDirectory = checkpoints, Resume = true }));
        Assert.Contains("weight_average_decay: checkpoint 0.9, this run none", refused.Message);

        var resumedModel = Fit(options with { CheckpointDirectory = checkpoints, Resume = true });
        Assert.Equal(averagedModel.TrainingResult.ValidationMetrics, resumedModel.TrainingResult!.ValidationMetrics);
        var resumed = Scores(resumedModel);
        for (int i = 0; i < averaged.Length; i++)
            for (int k = 0; k < averaged[i].Length; k++)
                Assert.Equal(averaged[i][k], resumed[i][k], 5);
    }

    private sealed class StepProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
