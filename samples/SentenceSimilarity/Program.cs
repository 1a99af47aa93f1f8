// GauSentenceSimilarity: regress a similarity score for sentence pairs.
// The bundled matching data's 0/1 labels serve as the similarity target here.
// Run from the repository root: dotnet run --project samples/SentenceSimilarity -c Release
using System.Globalization;
using GauMLNet.Clue;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.TorchSharp;
using GauMLNet.Training;
using Microsoft.ML;

// This sample opts in to GauMLNet's process-wide settings in its project file; say what they are, once.
Console.WriteLine($"process settings: {GauMLNet.TorchSharp.Runtime.ProcessSettings.Describe()}");
var ml = new MLContext(seed: 0);
IEnumerable<SimilarityRow> Load(string file) => ClueDataReader.Read(Path.Combine("samples", "data", "matching", file), ClueTask.Get("afqmc"), requireLabels: true)
    .Examples.Select(e => new SimilarityRow { Sentence1 = e.Sentence1, Sentence2 = e.Sentence2, Label = float.Parse(e.Label, CultureInfo.InvariantCulture) });
var train = ml.Data.LoadFromEnumerable(Load("train.json"));
var dev = ml.Data.LoadFromEnumerable(Load("dev.json"));

var trainer = ml.Regression.Trainers.GauSentenceSimilarity(new GauSentenceSimilarityOptions
{
    Config = GauAlphaConfig.Tiny,
    Epochs = 12,
    MaxLength = 64,
    Progress = new TrainingProgressPrinter(Console.Out), // a line every 5 s and at each epoch's end
});
Console.WriteLine("training a tiny GAU-α from scratch to score sentence pairs (12 epochs) …");
var model = trainer.Fit(train);
var metrics = ml.Regression.Evaluate(model.Transform(dev));
Console.WriteLine($"dev R²: {metrics.RSquared:F3}, RMSE: {metrics.RootMeanSquaredError:F3}");

internal sealed class SimilarityRow
{
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
    public float Label { get; set; }
}
