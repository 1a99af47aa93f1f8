// The neighbour app of .ci/package-check: a plain `dotnet new console` that references GauMLNet (from the local feed),
// Microsoft.ML.TorchSharp 0.24.0 and TorchSharp-cpu 0.107.0, as a team already on Microsoft's TorchSharp trainers would.
// It does not opt in to GauMLNet's process-wide settings. In one process and one MLContext it
//  1. builds a pipeline holding both a GauMLNet trainer and Microsoft's TextClassification trainer (not fitted: Microsoft's
//     trainers download their pretrained weights at Fit, and this machine reaches no such host);
//  2. fits, saves, reloads and predicts with the GauMLNet one;
//  3. prints a hash of a plain TorchSharp matrix product's bits computed after GauMLNet was loaded and used; `reference`
//     mode computes the same product in a process that never touches GauMLNet, and package-check compares the two.
using System.Diagnostics;
using System.Security.Cryptography;
using GauMLNet.MLNet;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Runtime;
using Microsoft.ML;
using Microsoft.ML.TorchSharp;
using TorchSharp;

if (args is ["reference"])
{
    Console.WriteLine($"matmul {PlainMatmulHash()}");
    return 0;
}

var clock = Stopwatch.StartNew();
string mlnet = typeof(MLContext).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
    .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().First().InformationalVersion.Split('+')[0];
Console.WriteLine($"ML.NET {mlnet}; GauMLNet process settings: {ProcessSettings.Describe()}");
var random = new Random(7);
const string Filler = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后";
string Noise(int n) => new([.. Enumerable.Range(0, n).Select(_ => Filler[random.Next(Filler.Length)])]);
var rows = Enumerable.Range(0, 48).Select(i => i % 2 == 0
    ? new Review { Sentence = Noise(4) + "好" + Noise(3), Label = "positive" }
    : new Review { Sentence = Noise(3) + "坏" + Noise(4), Label = "negative" }).ToList();

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(rows);

// 1. Both trainers in one pipeline: the call shapes are the same, only the method names differ.
var gauTrainer = ml.MulticlassClassification.Trainers.GauTextClassification(labelColumnName: "Label", sentence1ColumnName: "Sentence",
    scoreColumnName: "GauScore", outputColumnName: "GauPredictedLabel", batchSize: 8, maxEpochs: 2);
var microsoftTrainer = ml.MulticlassClassification.Trainers.TextClassification(labelColumnName: "Label", sentence1ColumnName: "Sentence", batchSize: 8, maxEpochs: 1);
var both = ml.Transforms.Conversion.MapValueToKey("Label").Append(gauTrainer).Append(microsoftTrainer);
Console.WriteLine($"one pipeline, both trainers: MapValueToKey -> {gauTrainer.GetType().Name} -> {microsoftTrainer.GetType().Name} " +
    $"(ending in {both.GetType().GetGenericArguments()[0].Name}; Microsoft's is not fitted: it downloads weights at Fit)");

// 2. The GauMLNet trainer alone: fit, save, reload, predict.
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.GauTextClassification(labelColumnName: "Label", sentence1ColumnName: "Sentence", batchSize: 8, maxEpochs: 2))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
var model = pipeline.Fit(train);
string path = Path.Combine(Path.GetTempPath(), $"gaumlnet-neighbour-{Environment.ProcessId}.zip");
ml.Model.Save(model, train.Schema, path);
var loaded = ml.Model.LoadGauModel(path, out _);
var before = ml.Model.CreatePredictionEngine<Review, Prediction>(model);
var after = ml.Model.CreatePredictionEngine<Review, Prediction>(loaded);
int mismatches = rows.Take(8).Count(r => before.Predict(r).PredictedLabel != after.Predict(r).PredictedLabel);
File.Delete(path);
Console.WriteLine($"fitted, saved, reloaded and predicted in {clock.Elapsed.TotalSeconds:F1} s; {mismatches} mismatch(es)");

// 3. A plain TorchSharp product after GauMLNet was loaded and trained in this process.
Console.WriteLine($"matmul {PlainMatmulHash()}");
return mismatches == 0 ? 0 : 1;

static string PlainMatmulHash()
{
    using var scope = torch.NewDisposeScope();
    var generator = new torch.Generator(42);
    var a = torch.randn([256, 768], generator: generator);
    var b = torch.randn([768, 1536], generator: generator);
    float[] product = a.matmul(b).data<float>().ToArray();
    byte[] bytes = new byte[product.Length * sizeof(float)];
    Buffer.BlockCopy(product, 0, bytes, 0, bytes.Length);
    return Convert.ToHexString(SHA256.HashData(bytes))[..16];
}

internal sealed class Review
{
    public string Sentence { get; set; } = "";
    public string Label { get; set; } = "";
}

internal sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
