// GauTextEmbedding: GAU-α sentence vectors as Features for any ML.NET trainer.
// Usage (from the repository root): dotnet run --project samples/TextEmbedding -c Release [-- CHECKPOINT_DIR]
// With no checkpoint it embeds with a freshly seeded tiny encoder over a vocabulary built from the data,
// which shows the plumbing; a pretrained checkpoint (see docs/clue-and-pretraining.md, "Released weights") gives useful features.
using GauMLNet.Clue;
using GauMLNet.MLNet;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;

// This sample opts in to GauMLNet's process-wide settings in its project file; say what they are, once.
Console.WriteLine($"process settings: {GauMLNet.TorchSharp.Runtime.ProcessSettings.Describe()}");
var ml = new MLContext(seed: 0);
var examples = ClueDataReader.Read(Path.Combine("samples", "data", "sentiment", "train.json"), ClueTask.Get("eprstmt"), requireLabels: true).Examples;
var data = ml.Data.LoadFromEnumerable(examples);

GauTextEmbeddingOptions options;
if (args.Length > 0)
{
    options = new GauTextEmbeddingOptions { ModelDirectory = args[0], InputColumnName = nameof(ClueExample.Sentence1) };
}
else
{
    string vocab = Path.Combine(Path.GetTempPath(), "gaumlnet-sample-vocab.txt");
    VocabularyBuilder.Save(VocabularyBuilder.Build(examples.Select(e => e.Sentence1)), vocab);
    options = new GauTextEmbeddingOptions { VocabPath = vocab, InputColumnName = nameof(ClueExample.Sentence1) };
}

var pipeline = ml.Transforms.Text.GauTextEmbedding(options)
    .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
    .AppendCacheCheckpoint(ml) // embed once; the trainer below makes many passes
    .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy());
var split = ml.Data.TrainTestSplit(data, testFraction: 0.2, seed: 0);
Console.WriteLine($"embedding {examples.Count * 4 / 5} training rows with GAU-α, then training SDCA on the vectors …");
var clock = System.Diagnostics.Stopwatch.StartNew();
var model = pipeline.Fit(split.TrainSet);
Console.WriteLine($"fitted in {clock.Elapsed.TotalSeconds:F0} s");
Console.WriteLine($"held-out accuracy of SDCA on GAU-α features: {ml.MulticlassClassification.Evaluate(model.Transform(split.TestSet)).MicroAccuracy:P2}");
var vector = model.Transform(split.TestSet).GetColumn<float[]>("Features").First();
Console.WriteLine($"embedding size: {vector.Length}");
