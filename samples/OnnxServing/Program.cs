// Serve a GAU-α model with ONNX Runtime: this app has no TorchSharp and no libtorch in its output folder.
// A model trained with TorchSharp (gau train, gau quickstart, or any GAU estimator) scores here as it is: its weights are
// exported to an ONNX graph in memory; a model converted with `gau export` (or model.ToOnnxRuntime()) carries its graph.
// Run from the repository root after `gau quickstart`:
//   dotnet run --project samples/OnnxServing -c Release -- [model.zip] [sentence …]
using GauMLNet.MLNet;
using GauMLNet.Onnx;
using Microsoft.ML;

string path = args.Length > 0 ? args[0] : Path.Combine("quickstart-output", "model.zip");
if (!File.Exists(path))
{
    Console.Error.WriteLine($"error: no model at {path}. Train one first: dotnet run --project src/GauMLNet.Cli -c Release -- quickstart");
    return 2;
}
string[] sentences = args.Length > 1 ? args[1..] : ["这个耳机音质很好，物流也很快，非常满意！", "第一次买这个牌子的键盘，用了两天就坏了"];

var ml = new MLContext();
ml.ComponentCatalog.RegisterGauOnnx();
var model = ml.Model.LoadGauModel(path, out _);
var classifier = CluePipeline.GauTransformers(model).OfType<GauTextClassificationTransformer>().Single();
Console.WriteLine($"loaded {path}: scoring with {classifier.Model.Engine.Description}");

var engine = ml.Model.CreatePredictionEngine<Review, Prediction>(model);
foreach (string sentence in sentences)
{
    var prediction = engine.Predict(new Review { Sentence1 = sentence });
    Console.WriteLine($"{prediction.PredictedLabel}\t{prediction.Score.Max():F4}\t{sentence}");
}
return 0;

/// <summary>The columns the model reads: the text (and a label column the pipeline's key mapping expects).</summary>
internal sealed class Review
{
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
    public string Label { get; set; } = "";
}

internal sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
