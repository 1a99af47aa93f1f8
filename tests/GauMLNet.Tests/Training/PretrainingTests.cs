using GauMLNet.Cli;
using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.Tests.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Training.Pretraining;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Training;

[Collection(GlobalTorchRngCollection.Name)]
public class PretrainingTests(ITestOutputHelper output)
{
    private static (GauTokenizer Tokenizer, List<int[]> Sequences, GauAlphaConfig Config) Corpus()
    {
        var texts = SyntheticText.Sentences(600, 4).Select(r => r.Sentence!).ToList();
        var tokenizer = GauTokenizer.FromVocabText(string.Join("\n", VocabularyBuilder.Build(texts)));
        var config = GauAlphaConfig.Tiny with { NumHiddenLayers = 2, VocabSize = tokenizer.VocabSize }; // dropout on
        return (tokenizer, PretrainingCorpus.Pack(texts, tokenizer, 48), config);
    }

    private static GauAlphaForMaskedLM Model(GauAlphaConfig config)
    {
        var model = new GauAlphaForMaskedLM(config);
        using var generator = new Generator(3);
        ParameterInitialization.Apply(model, model.Config, generator);
        return model;
    }

    [Fact]
    public void ATinyModelsMaskedLmLossFallsOnTheBundledCorpus()
    {
        var texts = PretrainingCorpus.ReadTexts([Path.Combine(TestPaths.RepositoryRoot, "samples", "data", "sentiment", "train.json")]).ToList();
        var tokenizer = GauTokenizer.FromVocabText(string.Join("\n", VocabularyBuilder.Build(texts)));
        using var model = Model(GauAlphaConfig.Tiny with { NumHiddenLayers = 2, VocabSize = tokenizer.VocabSize });
        var result = new MaskedLanguageModelPretrainer(new PretrainingOptions { Steps = 80, BatchSize = 16, LearningRate = 2e-3 })
            .Run(model, tokenizer, PretrainingCorpus.Pack(texts, tokenizer, 48), CPU);
        double first = result.Losses.Take(5).Average(), last = result.Losses.TakeLast(10).Average();
        output.WriteLine($"MLM loss {first:F3} → {last:F3}, masked accuracy {result.MaskedAccuracies.TakeLast(10).Average():P1}, {result.TokensPerSecond:F0} tokens/s");
        Assert.True(last < first - 1.0, $"loss fell only from {first:F3} to {last:F3}");
        Assert.True(result.MaskedAccuracies.TakeLast(10).Average() > result.MaskedAccuracies.Take(5).Average());
    }

    [Fact]
    public void AResumedRunRepeatsTheUninterruptedLossCurveStepForStep()
    {
        var (tokenizer, sequences, config) = Corpus();
        PretrainingOptions Options(string dir) => new() { Steps = 12, BatchSize = 8, GradientAccumulation = 2, LearningRate = 1e-3, CheckpointEvery = 4, CheckpointDirectory = dir, Seed = 9 };

        List<double> uninterrupted;
        using (var model = Model(config))
            uninterrupted = [.. new MaskedLanguageModelPretrainer(Options(TestPaths.NewTempDirectory())).Run(model, tokenizer, sequences, CPU).Losses];

        string dir = TestPaths.NewTempDirectory();
        using (var model = Model(config))
        {
            using var cancel = new CancellationTokenSource();
            var killAtStep7 = new Progress(p => { if (p.Step == 7) cancel.Cancel(); });
            Assert.ThrowsAny<OperationCanceledException>(() =>
                new MaskedLanguageModelPretrainer(Options(dir), progress: killAtStep7).Run(model, tokenizer, sequences, CPU, cancel.Token));
        }
        List<double> resumed;
        using (var fresh = Model(config))
            resumed = [.. new MaskedLanguageModelPretrainer(Options(dir) with { Resume = true }).Run(fresh, tokenizer, sequences, CPU).Losses];

        Assert.Equal(12, resumed.Count); // steps 1–4 from the checkpoint, 5–12 recomputed
        for (int i = 0; i < 12; i++) Assert.Equal(uninterrupted[i], resumed[i], 6);
    }

    [Fact]
    public void GauPretrainWritesACheckpointThatGauTrainAccepts()
    {
        string outDir = Path.Combine(TestPaths.NewTempDirectory(), "pretrained");
        string sentiment = Path.Combine(TestPaths.RepositoryRoot, "samples", "data", "sentiment");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = GauCli.Run(["pretrain", "--corpus", Path.Combine(sentiment, "train.json"), "--config", "tiny", "--steps", "20", "--batch-size", "8",
            "--max-length", "48", "--output", outDir, "--device", "cpu"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.True(File.Exists(Path.Combine(outDir, "pretrain-curve.png")));

        code = GauCli.Run(["train", "--task", "eprstmt", "--data", sentiment, "--model", outDir, "--epochs", "1", "--max-length", "48",
            "--output", Path.Combine(outDir, "finetuned"), "--device", "cpu"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains("fine-tuning " + outDir, stdout.ToString());

        // Continued pretraining (domain adaptation) starts from a checkpoint directory and keeps its vocabulary.
        string continued = Path.Combine(TestPaths.NewTempDirectory(), "continued");
        code = GauCli.Run(["pretrain", "--corpus", Path.Combine(sentiment, "dev.json"), "--model", outDir, "--steps", "5", "--batch-size", "8",
            "--max-length", "48", "--output", continued, "--device", "cpu", "--gradient-checkpointing"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.Equal(File.ReadAllText(Path.Combine(outDir, "vocab.txt")), File.ReadAllText(Path.Combine(continued, "vocab.txt")));
        using var encoder = GauAlphaEncoder.Load(continued, "cpu");
        Assert.Equal(GauAlphaConfig.Tiny.HiddenSize, encoder.Config.HiddenSize);
        Assert.True(encoder.Config.GradientCheckpointing, "--gradient-checkpointing did not reach the continued model's config");
        Assert.False(CheckpointFiles.LoadConfig(outDir).GradientCheckpointing);
    }

    private sealed class Progress(Action<PretrainingProgress> report) : IProgress<PretrainingProgress>
    {
        public void Report(PretrainingProgress value) => report(value);
    }
}
