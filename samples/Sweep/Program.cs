// An AutoML-style sweep: tune a GAU-α sentiment classifier's hyperparameters under a time budget.
// Run from the repository root: dotnet run --project samples/Sweep -c Release [-- SECONDS]
using GauMLNet.Clue;
using GauMLNet.Experiments;
using GauMLNet.MLNet;
using GauMLNet.TorchSharp;
using Microsoft.ML;

// This sample opts in to GauMLNet's process-wide settings in its project file; say what they are, once.
Console.WriteLine($"process settings: {GauMLNet.TorchSharp.Runtime.ProcessSettings.Describe()}");
var ml = new MLContext(seed: 0);
IDataView Load(string file) => ml.Data.LoadFromEnumerable(
    ClueDataReader.Read(Path.Combine("samples", "data", "sentiment", file), ClueTask.Get("eprstmt"), requireLabels: true).Examples);
var keyMap = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Load("train.json"));
var train = keyMap.Transform(Load("train.json"));
var dev = keyMap.Transform(Load("dev.json"));

// The search space: learning rate on a log scale, epochs, batch size, length, dropout, pooling, model size.
var space = SearchSpace.ForFineTuning(fromScratch: true);
var baseOptions = new GauTextClassificationOptions { SentenceColumnName = nameof(ClueExample.Sentence1) };
var experiment = new GauExperiment(ml, space,
    // Any estimator chain holding a GAU estimator; Apply wires in the trial's values, validation, progress and cancellation.
    (parameters, plumbing) => ml.MulticlassClassification.Trainers.GauTextClassification(plumbing.Apply(parameters, baseOptions)))
{
    Tuner = new TreeParzenTuner(),
    Settings = new ExperimentSettings { Budget = TimeSpan.FromSeconds(args.Length > 0 ? double.Parse(args[0]) : 120), MaxTrials = 20 },
};
experiment.TrialFinished += (trial, _) =>
    Console.WriteLine($"trial {trial.Id}: {trial.Status} {trial.Metric:P2} in {trial.Seconds:F0} s — {trial.Parameters}");

var leaderboard = experiment.Run(train, dev);
Console.WriteLine($"best: {leaderboard[0].Metric:P2} with {leaderboard[0].Parameters}");
