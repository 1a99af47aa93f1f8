// GauNamedEntityRecognition: find people, companies, places … in Chinese text, CLUENER-style, in an ML.NET pipeline.
// Run from the repository root: dotnet run --project samples/NamedEntityRecognition -c Release
using GauMLNet.Clue;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.TorchSharp;
using GauMLNet.Training;
using Microsoft.ML;

// This sample opts in to GauMLNet's process-wide settings in its project file; say what they are, once.
Console.WriteLine($"process settings: {GauMLNet.TorchSharp.Runtime.ProcessSettings.Describe()}");
var ml = new MLContext(seed: 0);
string data = Path.Combine("samples", "data", "entities");
// The span form: a Sentence text column and the entities as CLUENER label JSON.
IDataView Load(string file) => ml.Data.LoadFromEnumerable(ClueNerData.Read(Path.Combine(data, file), requireLabels: true)
    .Select(r => new Row { Sentence = r.Text, Label = ClueNerData.Label(r.Text, r.Entities).ToJsonString() }));
var train = Load("train.json");
var dev = Load("dev.json");

var trainer = ml.MulticlassClassification.Trainers.GauNamedEntityRecognition(new GauNamedEntityRecognitionOptions
{
    Head = EntityHead.GlobalPointer, // the default; or Crf, or Softmax (per-token BIO)
    Config = GauAlphaConfig.Tiny,    // from scratch; ModelDirectory = "path/to/checkpoint" fine-tunes released weights
    Epochs = 8,
    LearningRate = 2e-3,
    MaxLength = 64,                  // longer sentences are split into windows and merged back, never truncated
    ValidationSet = dev,
    Progress = new Progress<TrainingProgress>(p => { if (p.ValidationMetric is { } f1) Console.WriteLine($"epoch {p.Epoch}/{p.Epochs}: dev entity F1 {f1:P1}"); }),
});
Console.WriteLine("training a tiny GAU-α entity recognizer from scratch on the bundled sample data (about a minute on 2 cores)…");
var model = trainer.Fit(train);

var metrics = ml.MulticlassClassification.EvaluateEntities(model.Transform(dev));
Console.WriteLine($"dev entity F1 {metrics.MicroF1:P1} micro, {metrics.MacroF1:P1} macro over {metrics.Sentences} sentences");
foreach (var type in metrics.PerType) Console.WriteLine($"  {type.Type,-13} P {type.Precision:P0}  R {type.Recall:P0}  F1 {type.F1:P0}");

ml.Model.Save(model, train.Schema, "entities-model.zip");
var loaded = (GauNamedEntityRecognitionTransformer)new MLContext().Model.LoadGauModel("entities-model.zip", out _);
string[] sentences = ["王芳是字节跳动的产品经理。", "记者从长沙获悉，清华大学将于下月举办活动。"];
var found = loaded.Recognize(sentences);
for (int i = 0; i < sentences.Length; i++)
    Console.WriteLine($"{sentences[i]}  →  {string.Join("，", found[i].Select(e => $"{e.TextIn(sentences[i])} ({e.Type})"))}");

internal sealed class Row
{
    public string Sentence { get; set; } = "";
    public string Label { get; set; } = "";
}
