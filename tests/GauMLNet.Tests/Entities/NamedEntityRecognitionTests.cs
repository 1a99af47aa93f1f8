using GauMLNet.Configuration;
using GauMLNet.Entities;
using GauMLNet.MLNet;
using GauMLNet.Tests.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Entities;

/// <summary>The entity recognizer as an ML.NET citizen: every head learns a synthetic task; both label forms; save and load.</summary>
public sealed class NamedEntityRecognitionTests(ITestOutputHelper output)
{
    private static GauNamedEntityRecognitionOptions Options(EntityHead head) => new()
    {
        Config = TextClassificationTests.TestConfig,
        Head = head,
        Epochs = 12,
        BatchSize = 16,
        LearningRate = 3e-3,
        Device = "cpu",
        Seed = 1,
        MaxLength = 24,
    };

    [Theory]
    [InlineData(EntityHead.Crf)]
    [InlineData(EntityHead.Softmax)]
    [InlineData(EntityHead.GlobalPointer)]
    public void EveryHeadLearnsEntitiesAndRoundTripsThroughAZip(EntityHead head)
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticText.Entities(240, 1));
        var test = ml.Data.LoadFromEnumerable(SyntheticText.Entities(60, 2));
        var model = ml.MulticlassClassification.Trainers.GauNamedEntityRecognition(Options(head)).Fit(train);
        var metrics = ml.MulticlassClassification.EvaluateEntities(model.Transform(test));
        output.WriteLine($"{head}: micro F1 {metrics.MicroF1:P1}, macro F1 {metrics.MacroF1:P1} over {metrics.Sentences} sentences; " +
                         string.Join(", ", metrics.PerType.Select(t => $"{t.Type} {t.F1:P0}")));
        Assert.Equal(60, metrics.Sentences);
        Assert.True(metrics.MicroF1 > 0.85, $"{head}: micro F1 {metrics.MicroF1:P1}");

        string zip = Path.Combine(TestPaths.NewTempDirectory(), "ner.zip");
        ml.Model.Save(model, train.Schema, zip);
        var loaded = new MLContext().Model.LoadGauModel(zip, out _);
        Assert.Equal(model.Transform(test).GetColumn<string>("PredictedEntities"), loaded.Transform(test).GetColumn<string>("PredictedEntities"));

        // A sentence longer than MaxLength is split into windows, not truncated: entities late in it are found.
        string longSentence = string.Concat(Enumerable.Repeat("张伟在北京工作。", 8)); // 64 characters, MaxLength 24
        var found = model.Recognize([longSentence])[0];
        output.WriteLine($"{head}, long sentence: {string.Join(", ", found.Select(e => $"{e.Type} {e.TextIn(longSentence)} [{e.Start}]"))}");
        Assert.Contains(found, e => e.Start >= 56 && e.TextIn(longSentence) == "张伟");
    }

    [Fact]
    public void TheTagFormTakesAndReturnsPerCharacterTagKeys()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticText.Entities(160, 3).Select(r => new TaggedRow
        {
            Sentence = r.Sentence,
            Tags = EntityLabels.ToCharacterTags(r.Sentence.Length, ParseLabel(r)),
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Tags")
            .Append(ml.MulticlassClassification.Trainers.GauNamedEntityRecognition(Options(EntityHead.Crf)))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedTags", "PredictedLabel"));
        var scored = pipeline.Fit(data).Transform(data);
        var predicted = scored.GetColumn<string[]>("PredictedTags").ToList();
        Assert.All(predicted.Zip(rows), p => Assert.Equal(p.Second.Sentence.Length, p.First.Length));
        double tagAccuracy = predicted.Zip(rows).Average(p => p.First.Zip(p.Second.Tags).Average(t => t.First == t.Second ? 1.0 : 0.0));
        var metrics = ml.MulticlassClassification.EvaluateEntities(scored);
        output.WriteLine($"tag form: per-character tag accuracy {tagAccuracy:P1}, entity micro F1 {metrics.MicroF1:P1}");
        Assert.True(metrics.MicroF1 > 0.85, $"micro F1 {metrics.MicroF1:P1}");
    }

    [Fact]
    public void ALabelThatIsNeitherFormIsAClearError()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Sentence = "北京", Label = 1f } });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.GauNamedEntityRecognition(Options(EntityHead.Crf)).Fit(data));
        Assert.Contains("label column 'Label' is Single; expected a vector of keys", error.Message);
    }

    private static List<Entity> ParseLabel(EntityRow row)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(row.Label);
        return GauMLNet.Clue.ClueNerData.ParseLabel(doc.RootElement, row.Sentence);
    }

    private sealed class TaggedRow
    {
        public string Sentence { get; set; } = "";
        public string[] Tags { get; set; } = [];
    }
}
