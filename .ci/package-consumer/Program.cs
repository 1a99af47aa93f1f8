// The consumer app of .ci/package-check: a plain `dotnet new console` that references the GauMLNet package and
// TorchSharp-cpu from a feed (no project references). Trains a tiny classifier on synthetic rows, saves it,
// reloads it in a fresh MLContext and predicts. Exit code 0 when the reloaded model predicts what the fitted one did.
using System.Diagnostics;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.TorchSharp;
using Microsoft.ML;

var clock = Stopwatch.StartNew();
var random = new Random(7);
const string Filler = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后";
string Noise(int n) => new([.. Enumerable.Range(0, n).Select(_ => Filler[random.Next(Filler.Length)])]);
var rows = Enumerable.Range(0, 48).Select(i => i % 2 == 0
    ? new Row { Sentence = Noise(4) + "好" + Noise(3), Label = "positive" }
    : new Row { Sentence = Noise(3) + "坏" + Noise(4), Label = "negative" }).ToList();

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(rows);
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.GauTextClassification(new GauTextClassificationOptions
    {
        SentenceColumnName = nameof(Row.Sentence),
        Config = GauAlphaConfig.Tiny,
        Epochs = 2,
        BatchSize = 8,
        MaxLength = 16,
        Device = "cpu",
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
var model = pipeline.Fit(train);
Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F1} s");

string path = Path.Combine(Path.GetTempPath(), $"gaumlnet-consumer-{Environment.ProcessId}.zip");
ml.Model.Save(model, train.Schema, path);
var serving = new MLContext();
var loaded = serving.Model.LoadGauModel(path, out _);
var before = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
var after = serving.Model.CreatePredictionEngine<Row, Prediction>(loaded);
int mismatches = 0;
foreach (var row in rows.Take(6))
{
    string fitted = before.Predict(row).PredictedLabel, reloaded = after.Predict(row).PredictedLabel;
    if (fitted != reloaded) mismatches++;
    Console.WriteLine($"{reloaded,-9} {row.Sentence}");
}
File.Delete(path);
Console.WriteLine($"saved, reloaded and predicted in {clock.Elapsed.TotalSeconds:F1} s in all; {mismatches} mismatch(es)");
return mismatches == 0 ? 0 : 1;

internal sealed class Row
{
    public string Sentence { get; set; } = "";
    public string Label { get; set; } = "";
}

internal sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
