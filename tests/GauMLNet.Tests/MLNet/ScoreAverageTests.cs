using GauMLNet.MLNet;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Tests.MLNet;

public class ScoreAverageTests
{
    public sealed class Scored
    {
        [VectorType(3)] public float[] A { get; set; } = [];
        [VectorType(3)] public float[] B { get; set; } = [];
    }

    public sealed class Averaged
    {
        [VectorType(3)] public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    private static readonly string[] Classes = ["bad", "good", "meh"];

    // Two "classifiers' scores" over three classes named by slot names, as trainers on one key column write them.
    private static IDataView View(MLContext ml, IEnumerable<Scored> rows, string[]? namesOfB = null)
    {
        var schema = SchemaDefinition.Create(typeof(Scored));
        schema[nameof(Scored.A)].AddAnnotation("SlotNames", new VBuffer<ReadOnlyMemory<char>>(3, Classes.Select(c => c.AsMemory()).ToArray()),
            new VectorDataViewType(TextDataViewType.Instance, 3));
        schema[nameof(Scored.B)].AddAnnotation("SlotNames", new VBuffer<ReadOnlyMemory<char>>(3, (namesOfB ?? Classes).Select(c => c.AsMemory()).ToArray()),
            new VectorDataViewType(TextDataViewType.Instance, 3));
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private static readonly Scored[] Rows =
    [
        new() { A = [0.6f, 0.3f, 0.1f], B = [0.0f, 0.9f, 0.1f] }, // mean 0.30, 0.60, 0.10: good, though A alone says bad
        new() { A = [0.2f, 0.2f, 0.6f], B = [0.4f, 0.2f, 0.4f] }, // mean 0.30, 0.20, 0.50: meh
    ];

    [Fact]
    public void TheMeanOfTheScoresAndItsMostProbableClassAreWrittenSavedAndServed()
    {
        var ml = new MLContext(seed: 1);
        ml.ComponentCatalog.RegisterGauMLNet();
        var data = View(ml, Rows);
        var model = new ScoreAverageEstimator(["A", "B"]).Fit(data);
        Assert.Equal(Classes, model.Classes);
        var output = ml.Data.CreateEnumerable<Averaged>(model.Transform(data), reuseRowObject: false).ToList();
        Assert.Equal(["good", "meh"], output.Select(o => o.PredictedLabel));
        Assert.Equal([0.3f, 0.6f, 0.1f], output[0].Score.Select(v => MathF.Round(v, 5)));
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        model.GetOutputSchema(data.Schema)["Score"].GetSlotNames(ref slotNames);
        Assert.Equal(Classes, slotNames.DenseValues().Select(n => n.ToString()));

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        var engine = ml.Model.CreatePredictionEngine<Scored, Averaged>(loaded, inputSchemaDefinition: SchemaDefinition.Create(typeof(Scored)));
        Assert.Equal("meh", engine.Predict(Rows[1]).PredictedLabel);
        Assert.Equal("good", engine.Predict(Rows[0]).PredictedLabel);
    }

    [Fact]
    public void ScoresOfOtherClassesOrColumnsThatAreNotThereAreRefused()
    {
        var ml = new MLContext(seed: 1);
        var mismatch = Assert.Throws<ArgumentOutOfRangeException>(() => new ScoreAverageEstimator(["A", "B"]).Fit(View(ml, Rows, ["good", "bad", "meh"])));
        Assert.Contains("the classifiers must share one label mapping", mismatch.Message);
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => new ScoreAverageEstimator(["A", "C"]).Fit(View(ml, Rows)));
        Assert.Contains("The score column 'C' is not in the input", missing.Message);
    }
}
