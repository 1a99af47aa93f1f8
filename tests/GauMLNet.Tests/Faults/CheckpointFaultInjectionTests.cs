using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Tests.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Training.Pretraining;
using Microsoft.ML;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Faults;

/// <summary>
/// A write that fails between any two of its steps — every rename of every checkpoint commit — and a resume
/// afterwards end with exactly the model and loss curve of a run that never failed: fine-tuning and pretraining.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public sealed class CheckpointFaultInjectionTests(ITestOutputHelper output)
{
    private sealed class InjectedFault(string step) : Exception($"injected fault before: {step}");

    /// <summary>Counts the write steps <paramref name="run"/> takes on this thread.</summary>
    private static int CountSteps(Action run)
    {
        int steps = 0;
        FaultPoints.Hook = _ => steps++;
        try { run(); }
        finally { FaultPoints.Hook = null; }
        return steps;
    }

    /// <summary>Runs <paramref name="run"/> with a failure injected just before its <paramref name="n"/>-th write step.</summary>
    private static void FailAtStep(int n, Action run)
    {
        int steps = 0;
        FaultPoints.Hook = what => { if (++steps == n) throw new InjectedFault(what); };
        try { Assert.Throws<InjectedFault>(run); }
        finally { FaultPoints.Hook = null; }
    }

    [Fact]
    public void FineTuningResumedAfterAFailureAtAnyWriteStepEndsWithTheUninterruptedModel()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(40, 21));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var options = TextClassificationTests.Options with
        {
            Config = TextClassificationTests.TestConfig with { NumHiddenLayers = 1, HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1 },
            Epochs = 3,
            ValidationSet = data, // best-so-far weights are part of every checkpoint too
        };
        (byte[] Weights, IReadOnlyList<double> Losses) Fit(GauTextClassificationOptions o)
        {
            using var model = ml.MulticlassClassification.Trainers.GauTextClassification(o).Fit(data);
            return (model.Model.Package.Weights!, model.TrainingResult!.StepLosses);
        }

        var reference = Fit(options with { CheckpointDirectory = TestPaths.NewTempDirectory() });
        int steps = CountSteps(() => Fit(options with { CheckpointDirectory = TestPaths.NewTempDirectory() }));
        Assert.True(steps >= 3 * 7, $"expected every epoch's commit to take several steps, saw {steps}");

        for (int n = 1; n <= steps; n++)
        {
            string directory = TestPaths.NewTempDirectory();
            FailAtStep(n, () => Fit(options with { CheckpointDirectory = directory }));
            var resumed = Fit(options with { CheckpointDirectory = directory, Resume = true });
            Assert.True(reference.Weights.AsSpan().SequenceEqual(resumed.Weights), $"failure before write step {n}: the resumed model differs");
            Assert.Equal(reference.Losses, resumed.Losses);
            Assert.DoesNotContain(Directory.GetDirectories(directory), d => Path.GetFileName(d).StartsWith('.')); // no leftovers after a commit
        }
        output.WriteLine($"fine-tuning: {steps} write steps, each failed once and resumed to the identical model");
    }

    [Fact]
    public void PretrainingResumedAfterAFailureAtAnyWriteStepEndsWithTheUninterruptedModel()
    {
        var texts = SyntheticText.Sentences(200, 4).Select(r => r.Sentence!).ToList();
        var tokenizer = GauTokenizer.FromVocabText(string.Join("\n", VocabularyBuilder.Build(texts)));
        var config = GauAlphaConfig.Tiny with { NumHiddenLayers = 1, VocabSize = tokenizer.VocabSize }; // dropout on
        var sequences = PretrainingCorpus.Pack(texts, tokenizer, 32);
        PretrainingOptions Options(string dir) => new() { Steps = 6, BatchSize = 8, LearningRate = 1e-3, CheckpointEvery = 2, CheckpointDirectory = dir, Seed = 5 };
        (byte[] Weights, IReadOnlyList<double> Losses) Run(PretrainingOptions o)
        {
            using var model = TaskNetworks.CreateMaskedLM(config, seed: 3);
            var result = new MaskedLanguageModelPretrainer(o).Run(model, tokenizer, sequences, CPU);
            return (GauMLNet.TorchSharp.Checkpoints.SafeTensors.ToBytes(model.state_dict()), result.Losses);
        }

        var reference = Run(Options(TestPaths.NewTempDirectory()));
        int steps = CountSteps(() => Run(Options(TestPaths.NewTempDirectory())));
        Assert.True(steps >= 3 * 7, $"expected every commit to take several steps, saw {steps}");

        for (int n = 1; n <= steps; n++)
        {
            string directory = TestPaths.NewTempDirectory();
            FailAtStep(n, () => Run(Options(directory)));
            var resumed = Run(Options(directory) with { Resume = true });
            Assert.True(reference.Weights.AsSpan().SequenceEqual(resumed.Weights), $"failure before write step {n}: the resumed model differs");
            Assert.Equal(reference.Losses, resumed.Losses);
        }
        output.WriteLine($"pretraining: {steps} write steps, each failed once and resumed to the identical model");
    }

    [Fact]
    public void AModelDirectorySaveThatFailsAtAnyStepLeavesTheOldModelOrAClearError()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(32, 8));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var options = TextClassificationTests.Options with { Config = TextClassificationTests.TestConfig with { NumHiddenLayers = 1 }, Epochs = 1 };
        using var first = ml.MulticlassClassification.Trainers.GauTextClassification(options).Fit(data);
        using var second = ml.MulticlassClassification.Trainers.GauTextClassification(options with { Seed = 2 }).Fit(data);

        string probe = TestPaths.NewTempDirectory();
        int steps = CountSteps(() => second.SaveCheckpoint(probe));
        for (int n = 1; n <= steps; n++)
        {
            string directory = TestPaths.NewTempDirectory();
            first.SaveCheckpoint(directory);
            FailAtStep(n, () => second.SaveCheckpoint(directory));
            try
            {
                using var loaded = GauTextClassificationTransformer.LoadCheckpoint(ml, directory);
                Assert.True(loaded.Model.Package.Weights.AsSpan().SequenceEqual(first.Model.Package.Weights), $"step {n}: a model loaded that is neither the old one nor refused");
            }
            catch (IOException ex) when (ex is IntegrityException)
            {
                output.WriteLine($"step {n}: {ex.Message}"); // refused by name: never a mixed model
            }
        }
    }
}
