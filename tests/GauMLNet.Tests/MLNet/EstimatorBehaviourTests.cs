using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using GauMLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.MLNet;

/// <summary>Fit's contract: no mutation, determinism, cross-validation, validation sets, progress, logs.</summary>
public class EstimatorBehaviourTests(ITestOutputHelper output)
{
    private static GauTextClassificationOptions Quick => TextClassificationTests.Options with { Epochs = 2 };

    private static float[][] Scores(ITransformer model, IDataView data) =>
        model.Transform(data).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();

    [Fact]
    public void FitLeavesOptionsAloneAndTheSameSeedGivesTheSameModel()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(120, 3)))
            .Transform(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(120, 3)));
        var options = Quick;
        var snapshot = options with { };
        var trainer = ml.MulticlassClassification.Trainers.GauTextClassification(options);

        var first = trainer.Fit(data);
        var second = trainer.Fit(data); // re-fitting the same estimator works and changes nothing

        Assert.Equal(snapshot, options);
        Assert.Equal(Scores(first, data), Scores(second, data));

        var otherSeed = ml.MulticlassClassification.Trainers.GauTextClassification(options with { Seed = 2 }).Fit(data);
        Assert.NotEqual(Scores(first, data), Scores(otherSeed, data));
    }

    [Fact]
    public void ClassCountComesFromTheKeyTypeSoAMissingClassStillGetsAScore()
    {
        var ml = new MLContext(seed: 1);
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(60, 5, classes: 3)));
        var onlyTwoClasses = keyMap.Transform(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(80, 6, classes: 2)));
        var model = ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { Epochs = 1 }).Fit(onlyTwoClasses);
        Assert.All(Scores(model, onlyTwoClasses), s => Assert.Equal(3, s.Length));
    }

    [Fact]
    public void CrossValidatesAPipeline()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(300, 7));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { Epochs = 6 }));
        var folds = ml.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 2);
        output.WriteLine("fold accuracies: " + string.Join(", ", folds.Select(f => f.Metrics.MicroAccuracy.ToString("P1"))));
        Assert.Equal(2, folds.Count);
        Assert.All(folds, f => Assert.True(f.Metrics.MicroAccuracy > 0.6, $"fold accuracy {f.Metrics.MicroAccuracy:P1}"));
    }

    [Fact]
    public void ValidationIsScoredInFullEachEpochAndReportedThroughProgressAndTheLog()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "GauMLNet") lock (log) log.Add(e.Message); };
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(100, 8)));
        var train = keyMap.Transform(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(100, 8)));
        var valid = keyMap.Transform(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(37, 9)));
        var reports = new List<TrainingProgress>();
        var progress = new SynchronousProgress<TrainingProgress>(reports.Add);

        ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { Epochs = 3, ValidationSet = valid, Progress = progress }).Fit(train);

        var epochEnds = reports.Where(r => r.ValidationMetric is not null).ToList();
        Assert.Equal(3, epochEnds.Count);
        Assert.All(epochEnds, r => Assert.Equal("accuracy", r.ValidationMetricName));
        Assert.Equal(3 * ((100 + 15) / 16), reports.Count(r => r.ValidationMetric is null)); // one report per step
        Assert.Contains(log, l => l.Contains("validation accuracy") && l.Contains("over 37 rows")); // all 37 rows, not one batch
        Assert.Contains(log, l => l.Contains("rows/s") && l.Contains("loss"));
    }

    [Fact]
    public void EarlyStoppingStopsAndKeepsTheBestEpoch()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "GauMLNet") lock (log) log.Add(e.Message); };
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(100, 10)));
        var train = keyMap.Transform(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(100, 10)));
        var valid = keyMap.Transform(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(40, 11)));
        var reports = new List<TrainingProgress>();

        // The synthetic task is solved within a few epochs; after that accuracy cannot improve, so patience 1 must stop early.
        ml.MulticlassClassification.Trainers.GauTextClassification(Quick with
        {
            Epochs = 12,
            ValidationSet = valid,
            EarlyStoppingPatience = 1,
            Progress = new SynchronousProgress<TrainingProgress>(reports.Add),
        }).Fit(train);

        int epochsRun = reports.Max(r => r.Epoch);
        Assert.True(epochsRun < 12, "early stopping never triggered");
        Assert.Contains(log, l => l.Contains("early stopping after epoch"));
        Assert.Contains(log, l => l.Contains("kept the weights of epoch"));
    }

    [Fact]
    public void FrozenLayersKeepTheirInitialWeights()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(64, 13));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var options = Quick with { FrozenLayers = 1 };
        var frozen = ml.MulticlassClassification.Trainers.GauTextClassification(options).Fit(data);
        var untrained = ml.MulticlassClassification.Trainers.GauTextClassification(options with { Epochs = 1, LearningRate = 1e-30 }).Fit(data);

        var a = SafeTensorsFile.Read(frozen.Model.Package.Weights!, "frozen");
        var b = SafeTensorsFile.Read(untrained.Model.Package.Weights!, "untrained");
        foreach (string name in new[] { "gau_alpha.embeddings.word_embeddings.weight", "gau_alpha.encoder.layer.0.gau.i_dense.weight" })
            Assert.True(a[name].Data.AsSpan().SequenceEqual(b[name].Data), $"{name} changed although frozen");
        const string trained = "gau_alpha.encoder.layer.1.gau.i_dense.weight";
        var (after, before) = (a[trained].ToFloat32(), b[trained].ToFloat32());
        Assert.False(after.Zip(before).All(p => Math.Abs(p.First - p.Second) <= 1e-8 + 1e-5 * Math.Abs(p.Second)), "the unfrozen layer did not train");
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the reports in order, now.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
