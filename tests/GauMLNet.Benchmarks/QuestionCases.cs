using System.Text.Json;
using GauMLNet.Configuration;
using GauMLNet.QuestionAnswering;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Backend;
using GauMLNet.TorchSharp.Training;
using GauMLNet.Training;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>
/// (m) Question answering: questions per second of training and of scoring at max length 512, the small preset
/// (8 layers, d 256), as `gau train --task cmrc2018 --config small --max-length 512` runs them: contexts of 700
/// characters (two windows each at the default stride; CMRC 2018's dev contexts have a median of 531), batch 4 in
/// training and 32 in scoring, every window decoded back to answers.
/// </summary>
internal static class QuestionCases
{
    public static int RunChild(int questions, bool train)
    {
        var config = GauAlphaConfig.Small with { VocabSize = 6000 };
        var random = new Random(3);
        var vocabulary = GauTokenizer.FromVocabText(string.Join("\n", new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }
            .Concat(Enumerable.Range(0, 5995).Select(i => ((char)(0x4E00 + i)).ToString()))));
        string Text(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => (char)(0x4E00 + random.Next(5995))));
        var examples = Enumerable.Range(0, questions).Select(i =>
        {
            string context = Text(700);
            int start = random.Next(0, 680);
            return new QuestionAnsweringExample($"q{i}", context, Text(15), [new AnswerSpan(context.Substring(start, 12), start)]);
        }).ToList();
        var windows = QuestionWindows.Create(new CharacterTokenizer(vocabulary), examples, new QuestionWindowOptions(MaxLength: 512));
        var spec = new GauTaskSpec { Task = GauTask.QuestionAnswering, TextColumns = ["Context", "Question"], OutputColumns = ["Answer", "Score"], Outputs = 2 };
        using var network = TaskNetworkFactory.CreateInitialized(spec, config, seed: 1);
        double seconds;
        if (train)
        {
            var rows = windows.Where(w => w.Answer is not null).Select(w => new LabeledExample(w.Input, 0, Answer: new AnswerTarget(w.Answer, w.ContextPosition, w.ContextCount))).ToList();
            var tuner = new FineTuner(new FineTuningOptions { Epochs = 1, BatchSize = 4, LearningRate = 1e-4 }, GauTask.QuestionAnswering,
                trained => TorchSharpInferenceEngine.Borrowing(trained, CPU));
            seconds = Timer.BestSeconds(() => tuner.Train(network, rows, null, padId: 0, CPU), 2);
        }
        else
        {
            network.eval();
            using var engine = TorchSharpInferenceEngine.Borrowing(network, CPU);
            seconds = Timer.BestSeconds(() =>
            {
                var outputs = BatchScorer.Run(windows.Select(w => w.Input).ToArray(), 32, 0, engine.Run, out _);
                var answers = QuestionAnswers.Decode(windows, outputs, questions, maxAnswerTokens: 256, topK: 3);
                if (answers.Any(a => a.Count == 0)) throw new InvalidOperationException("a question got no answer");
            }, 2);
        }
        Console.WriteLine(JsonSerializer.Serialize(new CaseResult(questions / seconds, ProcessMemory.PeakMegabytes, 0)));
        return 0;
    }
}
