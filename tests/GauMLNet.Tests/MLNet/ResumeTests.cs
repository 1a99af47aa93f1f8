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
    private static readonly MLContext Ml = new(seed: 1);
    private static readonly IDataView Data = Labelled(Ml.Data.LoadFromEnumerable(SyntheticText.Sentences(96, 12)));
    private static IDataView Labelled(IDataView raw) => Ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);

    // Dropout on: a resumed run must also reproduce the random masks.
    private static GauTextClassificationOptions Options => TextClassificationTests.Options with
    {
        Config = TextClassificationTests.TestConfig with { HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1 },
        Epochs = 3,
    };

    private static GauTextClassificationTransformer Fit(GauTextClassificationOptions options) => Ml.MulticlassClassification.Trainers.GauTextClassification(options).Fit(Data);

    private static float[][] Scores(ITransformer model) => model.Transform(Data).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();

    /// <summary>Starts a fit that is cancelled as epoch 2 begins, leaving epoch 1's checkpoint in a new directory.</summary>
    private static string InterruptedAtEpoch2(GauTextClassificationOptions options)
    {
        string checkpoints = TestPaths.NewTempDirectory();
        using var cancel = new CancellationTokenSource();
        var interrupt = new StepProgress(p => { if (p.Epoch == 2 && p.ValidationMetric is null) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => Fit(options with { CheckpointDirectory = checkpoints, CancellationToken = cancel.Token, Progress = interrupt }));
        Assert.True(TrainingCheckpoint.Exists(checkpoints));
        return checkpoints;
    }

    [Fact]
    public void AnInterruptedFitResumesToTheSameModelAsAnUninterruptedOne()
    {
        var uninterrupted = Scores(Fit(Options));
        string checkpoints = InterruptedAtEpoch2(Options);
        var resumedModel = Fit(Options with { CheckpointDirectory = checkpoints, Resume = true });
        var resumed = Scores(resumedModel);

        Assert.Equal(3 * 6, resumedModel.TrainingResult!.StepLosses.Count); // the curve covers all three epochs
        for (int i = 0; i < uninterrupted.Length; i++)
            for (int k = 0; k < uninterrupted[i].Length; k++)
                Assert.Equal(uninterrupted[i][k], resumed[i][k], 5);
    }

    [Fact]
    public void AWeightAverageLeavesTrainingAloneBecomesTheModelAndResumesExactly()
    {
        var plain = Options with { ValidationSet = Data };
        var options = plain with { WeightAverageDecay = 0.9 };

        var withoutModel = Fit(plain);
        var averagedModel = Fit(options);
        // The average is read, never trained: the steps' losses are the same bit for bit, the validation scores and the model are not.
        Assert.Equal(withoutModel.TrainingResult!.StepLosses, averagedModel.TrainingResult!.StepLosses);
        Assert.NotEqual(withoutModel.TrainingResult.ValidationMetrics, averagedModel.TrainingResult.ValidationMetrics);
        var without = Scores(withoutModel);
        var averaged = Scores(averagedModel);
        Assert.Contains(Enumerable.Range(0, averaged.Length), i => Math.Abs(averaged[i][0] - without[i][0]) > 1e-3);

        string checkpoints = InterruptedAtEpoch2(options);
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
