using System.Text.Json;
using GauMLNet.MLNet;
using GauMLNet.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Tests.MLNet;

/// <summary>
/// Models saved by GauMLNet before the model files carried a manifest (format 1: written by the commit before the
/// GauMLNet.Core split, see Fixtures/legacy-format1) load and score exactly as they did.
/// </summary>
public sealed class LegacyModelTests
{
    private sealed record Expected(string[] Sentences, float[][] Scores, string[] Labels);

    private sealed class Row
    {
        public string Sentence1 { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private static readonly string Folder = TestPaths.Fixture("legacy-format1");

    private static Expected ReadExpected() =>
        JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(Folder, "expected.json")), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    [Fact]
    public void AFormat1ModelZipLoadsAndScoresAsItDidWhenSaved()
    {
        var expected = ReadExpected();
        var ml = new MLContext();
        var model = ml.Model.LoadGauModel(Path.Combine(Folder, "model.zip"), out _);
        var rows = ml.Data.LoadFromEnumerable(expected.Sentences.Select(s => new Row { Sentence1 = s, Label = "Positive" }));
        var scored = model.Transform(rows);
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        Assert.Equal(expected.Labels, scored.GetColumn<string>("PredictedLabel").ToArray());
        for (int i = 0; i < scores.Length; i++)
            for (int c = 0; c < scores[i].Length; c++) Assert.Equal(expected.Scores[i][c], scores[i][c], 1e-5);
    }

    [Fact]
    public void AFormat1CheckpointDirectoryLoadsAndScoresAsItDidWhenSaved()
    {
        var expected = ReadExpected();
        var ml = new MLContext();
        using var classifier = GauTextClassificationTransformer.LoadCheckpoint(ml, Path.Combine(Folder, "checkpoint"));
        Assert.Equal(1, classifier.Model.Spec.Format);
        var scores = classifier.Model.Score(classifier.Model.Encode(expected.Sentences.Select(s => new string?[] { s }).ToArray(), out _));
        for (int i = 0; i < scores.Length; i++)
            for (int c = 0; c < scores[i].Length; c++) Assert.Equal(expected.Scores[i][c], scores[i][c], 1e-5);
    }
}
