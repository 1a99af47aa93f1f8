using System.Reflection;
using GauMLNet.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Tests.MLNet;

/// <summary>
/// Code written for Microsoft.ML.TorchSharp's trainers runs on GauMLNet with the method name changed: the pattern of its
/// documented samples (and of Model Builder's generated code), the same parameter names, defaults and meanings, and the
/// MLContext's GpuDeviceId / FallbackToCpu honoured as it honours them. .ci/package-check compiles a call against both
/// packages in one app.
/// </summary>
public class AnchorDropInTests
{
    // The anchor's sample shapes: a text column, a string label, and an output class of PredictedLabel and Score.
    public sealed class ModelInput
    {
        [ColumnName("Content")] public string Content { get; set; } = "";
        [ColumnName("Label")] public string Label { get; set; } = "";
    }

    public sealed class ModelOutput
    {
        [ColumnName("PredictedLabel")] public string Prediction { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    private static ModelInput[] Rows(int count, int seed) =>
        SyntheticText.Sentences(count, seed).Select(r => new ModelInput { Content = r.Sentence!, Label = r.Label }).ToArray();

    [Fact]
    public void TheAnchorsSamplePatternRunsWithTheMethodNameChanged()
    {
        var mlContext = new MLContext(seed: 0);
        var dataView = mlContext.Data.LoadFromEnumerable(Rows(120, seed: 3));

        // As in Microsoft.ML.TorchSharp's samples, with TextClassification renamed GauTextClassification.
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey(outputColumnName: "Label", inputColumnName: "Label")
            .Append(mlContext.MulticlassClassification.Trainers.GauTextClassification(labelColumnName: "Label", sentence1ColumnName: "Content", maxEpochs: 2))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue(outputColumnName: "PredictedLabel", inputColumnName: "PredictedLabel"));
        var model = pipeline.Fit(dataView);

        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(dataView));
        Assert.InRange(metrics.MicroAccuracy, 0, 1);
        var engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        var prediction = engine.Predict(new ModelInput { Content = Rows(1, seed: 9)[0].Content });
        Assert.Contains(prediction.Prediction, new[] { "positive", "negative", "neutral" });
        Assert.Equal(3, prediction.Score.Length);
        Assert.Equal(1.0, prediction.Score.Sum(), 4);
    }

    public sealed class PairInput
    {
        public string Premise { get; set; } = "";
        public string Hypothesis { get; set; } = "";
        public string Relation { get; set; } = "";
    }

    [Fact]
    public void EveryNamedParameterOfTheAnchorKeepsItsMeaning()
    {
        var ml = new MLContext(seed: 0);
        var pairs = SyntheticText.Pairs(80, seed: 4).Select(p => new PairInput { Premise = p.Sentence1!, Hypothesis = p.Sentence2!, Relation = p.Label }).ToArray();
        var data = ml.Data.LoadFromEnumerable(pairs);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Key", "Relation").Fit(data);
        var validation = keyed.Transform(ml.Data.LoadFromEnumerable(pairs.Take(20)));

        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var model = ml.Transforms.Conversion.MapValueToKey("Key", "Relation")
            .Append(ml.MulticlassClassification.Trainers.GauTextClassification(labelColumnName: "Key", scoreColumnName: "Probabilities",
                outputColumnName: "Guess", sentence1ColumnName: "Premise", sentence2ColumnName: "Hypothesis", batchSize: 8, maxEpochs: 1,
                validationSet: validation))
            .Fit(data);

        var schema = model.Transform(data).Schema;
        Assert.NotNull(schema.GetColumnOrNull("Probabilities"));
        Assert.NotNull(schema.GetColumnOrNull("Guess"));
        Assert.Null(schema.GetColumnOrNull("Score"));
        Assert.Null(schema.GetColumnOrNull("PredictedLabel"));
        // Both sentences are read (a pair is encoded as [CLS] a [SEP] b [SEP]), the batch size and one epoch are used, and
        // the validation set is scored after the epoch.
        string all = string.Join("\n", log);
        Assert.Contains("Hypothesis", ((GauTextClassificationTransformer)model.LastTransformer).Model.Spec.TextColumns);
        Assert.Contains("validation", all);
    }

    /// <summary>The anchor's parameter lists as Microsoft.ML.TorchSharp 0.24.0 declares them (read by reflection from its assembly).</summary>
    public static TheoryData<string, string[]> AnchorParameters => new()
    {
        { nameof(GauCatalog.GauTextClassification), ["labelColumnName=Label", "scoreColumnName=Score", "outputColumnName=PredictedLabel", "sentence1ColumnName=Sentence1", "sentence2ColumnName=", "batchSize=32", "maxEpochs=10", "validationSet="] },
        { nameof(GauCatalog.GauSentenceSimilarity), ["labelColumnName=Label", "scoreColumnName=Score", "sentence1ColumnName=Sentence1", "sentence2ColumnName=Sentence2", "batchSize=32", "maxEpochs=10", "validationSet="] },
        { nameof(GauCatalog.GauNamedEntityRecognition), ["labelColumnName=Label", "outputColumnName=PredictedLabel", "sentence1ColumnName=Sentence", "batchSize=32", "maxEpochs=10", "validationSet="] },
        { nameof(GauCatalog.GauQuestionAnswering), ["contextColumnName=Context", "questionColumnName=Question", "trainingAnswerColumnName=TrainingAnswer", "answerIndexColumnName=AnswerIndex", "predictedAnswerColumnName=Answer", "scoreColumnName=Score", "topK=3", "batchSize=4", "maxEpochs=10", "validationSet="] },
    };

    [Theory]
    [MemberData(nameof(AnchorParameters))]
    public void TheSimpleOverloadsHaveTheAnchorsParameters(string method, string[] anchor)
    {
        // The anchor's last parameter but one, architecture (its own enum), has no counterpart and is left out.
        var simple = typeof(GauCatalog).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.Name == method && !m.GetParameters().Any(p => p.ParameterType.Name.EndsWith("Options", StringComparison.Ordinal)))
            .ToArray();
        var overload = Assert.Single(simple);
        var ours = overload.GetParameters().Skip(1).Select(p => $"{p.Name}={p.DefaultValue}").ToArray();
        Assert.Equal(anchor, ours);
    }

    [SkippableFact]
    public void AGpuTheMachineLacksIsAnErrorUnlessTheContextFallsBackToTheCpu()
    {
        Skip.If(global::TorchSharp.torch.cuda.is_available(), "this machine has a GPU: the CPU fallback cannot be observed");
        var rows = Rows(40, seed: 5);

        var strict = new MLContext(seed: 0) { GpuDeviceId = 0, FallbackToCpu = false };
        var refused = Assert.ThrowsAny<Exception>(() => Fit(strict, rows));
        Assert.Contains("cuda:0", refused.ToString());
        Assert.Contains("FallbackToCpu", refused.ToString());

        var lenient = new MLContext(seed: 0) { GpuDeviceId = 0, FallbackToCpu = true };
        var model = Fit(lenient, rows);
        Assert.Equal("cuda:0,cpu", model.LastTransformer.Model.Spec.Device);
    }

    [Fact]
    public void AContextThatNamesNoGpuTrainsOnTheCpuAsTheAnchorDoes()
    {
        var model = Fit(new MLContext(seed: 0), Rows(40, seed: 6));
        Assert.Equal("cpu", model.LastTransformer.Model.Spec.Device);
        Assert.Contains("torchsharp fp32 on cpu", model.LastTransformer.Model.Engine.Description);
    }

    private static TransformerChain<GauTextClassificationTransformer> Fit(MLContext ml, ModelInput[] rows) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.GauTextClassification(sentence1ColumnName: "Content", maxEpochs: 1))
            .Fit(ml.Data.LoadFromEnumerable(rows));
}
