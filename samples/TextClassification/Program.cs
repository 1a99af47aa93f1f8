// GauTextClassification: a GAU-α sentiment classifier in an ordinary ML.NET pipeline.
// Run from the repository root: dotnet run --project samples/TextClassification -c Release
using GauMLNet.Clue;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.TorchSharp;
using GauMLNet.Training;
using Microsoft.ML;

// This sample opts in to GauMLNet's process-wide settings in its project file; say what they are, once.
Console.WriteLine($"process settings: {GauMLNet.TorchSharp.Runtime.ProcessSettings.Describe()}");
var ml = new MLContext(seed: 0);
string data = Path.Combine("samples", "data", "sentiment");
IDataView Load(string file) => ml.Data.LoadFromEnumerable(ClueDataReader.Read(Path.Combine(data, file), ClueTask.Get("eprstmt"), requireLabels: true).Examples);
var train = Load("train.json");
var dev = Load("dev.json");

// Train from scratch with a small config; pass ModelDirectory = "path/to/checkpoint" to fine-tune released weights instead.
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.GauTextClassification(new GauTextClassificationOptions
    {
        SentenceColumnName = nameof(ClueExample.Sentence1),
        Config = GauAlphaConfig.Small,
        Epochs = 3,
        MaxLength = 64,
        Progress = new TrainingProgressPrinter(Console.Out), // a line every 5 s and at each epoch's end
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

Console.WriteLine("training a small GAU-α from scratch on the sentiment data (3 epochs) …");
var model = pipeline.Fit(train);
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(dev));
Console.WriteLine($"dev accuracy: {metrics.MicroAccuracy:P2}");

ml.Model.Save(model, train.Schema, "sentiment-model.zip");
var loaded = new MLContext().Model.LoadGauModel("sentiment-model.zip", out _);
var engine = ml.Model.CreatePredictionEngine<ClueExample, Prediction>(loaded);
foreach (string text in new[] { "物流很快，质量很好，非常满意", "用了两天就坏了，很失望" })
    Console.WriteLine($"{engine.Predict(new ClueExample { Sentence1 = text }).PredictedLabel,-9} {text}");

internal sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
