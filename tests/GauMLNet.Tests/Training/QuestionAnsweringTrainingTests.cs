using GauMLNet.Configuration;
using GauMLNet.Onnx;
using GauMLNet.QuestionAnswering;
using GauMLNet.Tasks;
using GauMLNet.Tests.MLNet;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Backend;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Training;
using GauMLNet.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Training;

/// <summary>
/// The question-answering path end to end on a task a tiny GAU-α can learn in seconds: windows, the span loss over
/// context positions, validation through the engine and CMRC 2018's F1 per question over all its windows.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public sealed class QuestionAnsweringTrainingTests(ITestOutputHelper output)
{
    private const string Filler = "天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏";
    private const string Names = "甲乙丙丁戊己庚辛壬癸";

    // The answer is the name (2–4 characters) between 【 and 】, somewhere in 40–70 characters of filler; the question
    // asks for it. Contexts are longer than one window of the test's inputs, so questions span two or three windows.
    internal static List<QuestionAnsweringExample> Questions(int count, int seed)
    {
        var random = new Random(seed);
        var examples = new List<QuestionAnsweringExample>();
        for (int i = 0; i < count; i++)
        {
            string name = string.Concat(Enumerable.Range(0, random.Next(2, 5)).Select(_ => Names[random.Next(Names.Length)]));
            int before = random.Next(5, 50), after = random.Next(5, 30);
            string Fill(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => Filler[random.Next(Filler.Length)]));
            string context = Fill(before) + "【" + name + "】" + Fill(after);
            examples.Add(new QuestionAnsweringExample($"q{i}", context, "名字是什么？", [new AnswerSpan(name, before + 1)]));
        }
        return examples;
    }

    [Fact]
    public void ATinyModelLearnsToAnswerAndIsScoredPerQuestion()
    {
        var train = Questions(240, seed: 1);
        var dev = Questions(60, seed: 2);
        var vocabulary = GauTokenizer.FromVocabText(string.Join("\n", VocabularyBuilder.Build(train.Select(q => q.Context + q.Question))));
        var tokenizer = new CharacterTokenizer(vocabulary);
        var options = new QuestionWindowOptions(MaxLength: 40, DocumentStride: 16, MaxQuestionTokens: 8);
        var trainWindows = QuestionWindows.Create(tokenizer, train, options);
        var devWindows = QuestionWindows.Create(tokenizer, dev, options);
        Assert.Contains(devWindows.GroupBy(w => w.Example), g => g.Count() >= 2);
        Assert.Contains(devWindows, w => w.Answer is null); // some windows do not hold the answer whole

        static LabeledExample Row(QuestionWindow w) => new(w.Input, 0, Answer: new AnswerTarget(w.Answer, w.ContextPosition, w.ContextCount));
        var trainRows = trainWindows.Where(w => w.Answer is not null).Select(Row).ToList();
        var devRows = devWindows.Select(Row).ToList();
        const int maxAnswerTokens = 8;
        var scores = new List<double>();
        double Metric(IReadOnlyList<float[]> outputs)
        {
            var metrics = QuestionAnswers.Score(dev, devWindows, outputs, maxAnswerTokens);
            Assert.Equal(dev.Count, metrics.Questions);
            scores.Add(metrics.F1);
            return metrics.F1;
        }

        var config = GauAlphaConfig.Tiny with { NumHiddenLayers = 2, VocabSize = vocabulary.VocabSize, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };
        using var network = TaskNetworkFactory.Create(GauTask.QuestionAnswering, config, outputs: 2, SequencePooling.First);
        TaskNetworks.Initialize(network, config, seed: 1);
        var tuner = new FineTuner(new FineTuningOptions { Epochs = 6, BatchSize = 16, LearningRate = 2e-3, Seed = 1 }, GauTask.QuestionAnswering,
            trained => TorchSharpInferenceEngine.Borrowing(trained, CPU), validationMetric: Metric);
        var result = tuner.Train(network, trainRows, devRows, vocabulary.PadId, CPU);

        output.WriteLine($"dev F1 per epoch: {string.Join(" ", scores.Select(s => s.ToString("F1")))}; loss {result.StepLosses[0]:F3} → {result.StepLosses[^1]:F3}");
        Assert.Equal("F1", tuner.MetricName);
        Assert.Equal(6, scores.Count);
        Assert.True(result.StepLosses[^1] < result.StepLosses[0] / 4, "the span loss falls");
        Assert.True(result.BestValidationMetric > 90, $"best dev F1 {result.BestValidationMetric:F1}");

        // The span head exports with the encoder: ONNX Runtime's start and end scores equal TorchSharp's.
        var spec = new GauTaskSpec { Task = GauTask.QuestionAnswering, TextColumns = ["Context", "Question"], OutputColumns = ["Answer"], Outputs = 2 };
        var package = GauModelPackage.Create(spec, config, string.Join("\n", Enumerable.Range(0, vocabulary.VocabSize).Select(vocabulary.Token)), SafeTensors.ToBytes(network.state_dict()));
        var batch = PaddedBatch.Collate(devWindows.Take(12).Select(w => w.Input).ToArray(), vocabulary.PadId);
        using var onnx = new OnnxRuntimeEngine(GauOnnxExporter.Export(package));
        using var torch = TorchSharpInferenceEngine.Borrowing(network, CPU);
        var expected = torch.Run(batch);
        var actual = onnx.Run(batch);
        Assert.Equal(expected.Shape, actual.Shape);
        double difference = expected.Values.Zip(actual.Values).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"ONNX Runtime vs TorchSharp, start and end scores of 12 windows: max |Δ| {difference:E2}");
        Assert.True(difference <= 1e-4, $"max |Δ| {difference:E2}");
    }

    [Fact]
    public void ATrainingRowWithoutAWholeAnswerIsRefused()
    {
        var vocabulary = GauTokenizer.FromVocabText("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n甲\n");
        var config = GauAlphaConfig.Tiny with { NumHiddenLayers = 1, VocabSize = vocabulary.VocabSize };
        using var network = TaskNetworkFactory.Create(GauTask.QuestionAnswering, config, outputs: 2, SequencePooling.First);
        var row = new LabeledExample(new EncodedText([2, 5, 3, 5, 3], [0, 0, 0, 1, 1], false), 0, Answer: new AnswerTarget(null, 3, 1));
        var tuner = new FineTuner(new FineTuningOptions { Epochs = 1, BatchSize = 1 }, GauTask.QuestionAnswering, trained => TorchSharpInferenceEngine.Borrowing(trained, CPU));
        var error = Assert.Throws<InvalidOperationException>(() => tuner.Train(network, [row], null, vocabulary.PadId, CPU));
        Assert.Contains("holds no whole answer", error.Message);
    }
}
