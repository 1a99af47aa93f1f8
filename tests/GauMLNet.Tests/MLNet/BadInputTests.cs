using GauMLNet.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using GauMLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Tests.MLNet;

/// <summary>Bad input gets a clear error naming what is wrong, and loses nothing.</summary>
public class BadInputTests
{
    private static GauTextClassificationOptions Quick => TextClassificationTests.Options with { Epochs = 1 };

    private static (MLContext Ml, IDataView Keyed) Data(int rows = 64, int seed = 1)
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(rows, seed));
        return (ml, ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw));
    }

    [Fact]
    public void MissingTextColumnIsNamedAtFitAndAtGetOutputSchema()
    {
        var (ml, keyed) = Data();
        var trainer = ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { SentenceColumnName = "Text" });
        var atFit = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(keyed));
        Assert.Contains("'Text' was not found", atFit.Message);
        var atSchema = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(MLNetInternals.ToSchemaShape(keyed.Schema)));
        Assert.Contains("'Text' was not found", atSchema.Message);
    }

    [Fact]
    public void LabelThatIsNotAKeyIsNamedWithTheExpectedType()
    {
        var ml = new MLContext();
        var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(20, 1));
        var trainer = ml.MulticlassClassification.Trainers.GauTextClassification(Quick);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(raw));
        Assert.Contains("label column 'Label' is String", ex.Message);
        Assert.Contains("MapValueToKey", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(MLNetInternals.ToSchemaShape(raw.Schema)));
    }

    [Fact]
    public void TextColumnOfTheWrongTypeIsNamed()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new SimilarityRow { Sentence1 = "a", Sentence2 = "b", Label = 1 } });
        var trainer = ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { SentenceColumnName = "Label" });
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        Assert.Contains("input column 'Label' is Single", ex.Message);
    }

    [Fact]
    public void EmptyAndNullTextsAreEmptySentencesAndOverLongTextIsTruncatedAndCounted()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "GauMLNet") lock (log) log.Add(e.Message); };
        var rows = SyntheticText.Sentences(40, 2);
        rows.Add(new SentenceRow { Sentence = null, Label = "positive" });
        rows.Add(new SentenceRow { Sentence = "", Label = "negative" });
        rows.Add(new SentenceRow { Sentence = new string('好', 500), Label = "positive" });
        var raw = ml.Data.LoadFromEnumerable(rows);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);

        var model = ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { MaxLength = 32 }).Fit(keyed);
        var scores = model.Transform(keyed).GetColumn<VBuffer<float>>("Score").ToList();

        Assert.Equal(43, scores.Count);
        Assert.All(scores, s => Assert.True(s.DenseValues().All(float.IsFinite)));
        Assert.Contains(log, l => l.Contains("1 of 43 training row(s) exceeded MaxLength 32"));
        Assert.Contains(log, l => l.Contains("1 of 43 row(s) were longer than MaxLength 32"));
    }

    [Fact]
    public void DivergingTrainingStopsWithAClearErrorAndKeepsTheLastGoodWeights()
    {
        var (ml, keyed) = Data();
        var trainer = ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { LearningRate = 1e30, MaxGradNorm = 0, Epochs = 3 });
        var ex = Assert.Throws<GauTrainingDivergedException>(() => trainer.Fit(keyed));
        Assert.Contains("became", ex.Message);
        Assert.Contains("last good weights", ex.Message);
        var scores = ex.LastGoodModel!.Transform(keyed).GetColumn<VBuffer<float>>("Score").ToList();
        Assert.All(scores, s => Assert.True(s.DenseValues().All(float.IsFinite), "the kept weights give non-finite scores"));
    }

    [Fact]
    public void CancellationStopsFitWithinOneStep()
    {
        var (ml, keyed) = Data(rows: 200);
        using var cancel = new CancellationTokenSource();
        int steps = 0;
        var progress = new CountingProgress(() => { if (++steps == 2) cancel.Cancel(); });
        var trainer = ml.MulticlassClassification.Trainers.GauTextClassification(Quick with
        {
            Epochs = 5,
            CancellationToken = cancel.Token,
            Progress = progress,
        });
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(keyed));
        Assert.Equal(2, steps); // cancelled after step 2, no step 3 started
    }

    private sealed class CountingProgress(Action onReport) : IProgress<GauMLNet.Training.TrainingProgress>
    {
        public void Report(GauMLNet.Training.TrainingProgress value) => onReport();
    }
}
