using System.Diagnostics;
using GauMLNet.Experiments;
using GauMLNet.MLNet;
using GauMLNet.Tests.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Experiments;

public class ExperimentTests(ITestOutputHelper output)
{
    private static readonly SearchSpace Space = new(new Dictionary<string, ParameterRange>
    {
        [TrialParameters.LearningRate] = new LogUniform(1e-6, 1e-1),
        [TrialParameters.Epochs] = new IntRange(1, 20),
    });

    // Known optimum: learning rate 1e-3, 7 epochs (value 0 there, negative elsewhere).
    private static double Objective(TrialParameters p) =>
        -Math.Pow(Math.Log10(p.Double(TrialParameters.LearningRate)) + 3, 2) - Math.Pow((p.Int(TrialParameters.Epochs) - 7) / 5.0, 2);

    [Fact]
    public void ASweptModelSizeKeepsTheAttentionTheOptionsChose()
    {
        var plumbing = new GauTrialPlumbing(new Progress<GauMLNet.Training.TrainingProgress>(), CancellationToken.None, null);
        var options = new GauMLNet.MLNet.GauTextClassificationOptions
        {
            Config = GauMLNet.Configuration.GauAlphaConfig.Tiny with { Attention = "mixed_chunk", ChunkSize = 64 },
        };
        var trial = new TrialParameters(new Dictionary<string, object> { [TrialParameters.ModelSize] = "small" });
        var config = plumbing.Apply(trial, options).Config!;
        Assert.Equal(GauMLNet.Configuration.GauAlphaConfig.Small.HiddenSize, config.HiddenSize);
        Assert.Equal((GauMLNet.Configuration.AttentionSpan.MixedChunk, 64), (config.AttentionSpan, config.EffectiveChunkSize));
    }

    [Fact]
    public void TreeParzenFindsTheKnownOptimumWithinAFewTrialsAndBeatsRandom()
    {
        double Best(ITuner tuner, int seed) =>
            new ExperimentRunner(Space, tuner, new ExperimentSettings { MaxTrials = 30, Seed = seed, Budget = TimeSpan.FromMinutes(1) })
                .Run(c => Objective(c.Parameters)).Max(t => t.Metric!.Value);
        var tpe = Enumerable.Range(0, 5).Select(s => Best(new TreeParzenTuner(), s)).ToList();
        var random = Enumerable.Range(0, 5).Select(s => Best(new RandomTuner(), s)).ToList();
        output.WriteLine($"best of 30 trials, 5 seeds: TPE {string.Join(" ", tpe.Select(v => v.ToString("F3")))}; random {string.Join(" ", random.Select(v => v.ToString("F3")))}");
        Assert.True(tpe.Average() > -0.1, $"TPE's best averaged {tpe.Average():F3}");
        Assert.True(tpe.Average() > random.Average(), "TPE did no better than random search");
    }

    [Fact]
    public void ATrialThatWouldOverrunTheBudgetIsStopped()
    {
        var clock = Stopwatch.StartNew();
        var results = new ExperimentRunner(Space, new RandomTuner(), new ExperimentSettings { Budget = TimeSpan.FromSeconds(1.5), MaxTrials = 10 })
            .Run(c =>
            {
                for (int i = 0; i < 100; i++) // a 1 s trial that checks its token like a training loop does every step
                {
                    c.Cancellation.ThrowIfCancellationRequested();
                    Thread.Sleep(10);
                }
                return 1.0;
            });
        // Wall clock under a loaded test run: the lower bound says the budget was used; the upper only that the
        // remaining trials (10 s if none were stopped) did not run. The statuses below say which trial was stopped.
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.4, 6.0);
        Assert.Equal(TrialStatus.Completed, results[0].Status);
        Assert.Equal(TrialStatus.StoppedByBudget, results[^1].Status);
        Assert.Null(results[^1].Metric);
    }

    [Fact]
    public void AResumedExperimentSkipsTheTrialsItsLogHolds()
    {
        string log = Path.Combine(TestPaths.NewTempDirectory(), "trials.jsonl");
        int calls = 0;
        double Trial(TrialContext c) { calls++; return Objective(c.Parameters); }
        var first = new ExperimentRunner(Space, new RandomTuner(), new ExperimentSettings { MaxTrials = 3, TrialLogPath = log, Seed = 4 }).Run(Trial);
        var resumed = new ExperimentRunner(Space, new RandomTuner(), new ExperimentSettings { MaxTrials = 5, TrialLogPath = log, Seed = 4 }).Run(Trial);
        Assert.Equal(5, calls); // 3, then only the 2 new ones
        Assert.Equal([1, 2, 3, 4, 5], resumed.Select(t => t.Id));
        Assert.Equal(first.Select(t => t.Metric), resumed.Take(3).Select(t => t.Metric));
        Assert.Equal(first[0].Parameters.ToString(), resumed[0].Parameters.ToString());
    }

    [Fact]
    public void ATrialBelowTheMedianAtAnEpochIsPrunedButOnlyAgainstPeersOfTheSameLength()
    {
        int trial = 0;
        var fixedLength = new SearchSpace(new Dictionary<string, ParameterRange>
        {
            [TrialParameters.LearningRate] = new LogUniform(1e-6, 1e-1),
            [TrialParameters.Epochs] = new IntRange(3, 3),
        });
        var results = new ExperimentRunner(fixedLength, new RandomTuner(), new ExperimentSettings { MaxTrials = 4, PruneAfterTrials = 3 }).Run(c =>
        {
            double score = ++trial < 4 ? 0.9 : 0.1;
            for (int epoch = 1; epoch <= 3; epoch++)
                if (c.ReportEpoch(epoch, score)) return score;
            return score;
        });
        Assert.All(results.Take(3), r => Assert.Equal(TrialStatus.Completed, r.Status));
        Assert.Equal(TrialStatus.Pruned, results[3].Status);
        Assert.Single(results[3].EpochMetrics); // stopped after its first epoch

        // The same scores with different epoch counts (different schedules) are never compared.
        trial = 0;
        var mixed = new ExperimentRunner(Space, new RandomTuner(), new ExperimentSettings { MaxTrials = 4, PruneAfterTrials = 3, Seed = 1 }).Run(c =>
        {
            double score = ++trial < 4 ? 0.9 : 0.1;
            c.ReportEpoch(1, score);
            return score;
        });
        Assert.Equal(4, new HashSet<int>(mixed.Select(r => r.Parameters.Int(TrialParameters.Epochs))).Count);
        Assert.All(mixed, r => Assert.Equal(TrialStatus.Completed, r.Status));
    }

    [Fact]
    public void ATinyRealSweepOverAGauEstimatorCompletes()
    {
        var (ml, train, holdout) = KeywordTask();
        var space = new SearchSpace(new Dictionary<string, ParameterRange>
        {
            [TrialParameters.LearningRate] = new LogUniform(5e-4, 3e-3),
            [TrialParameters.Epochs] = new IntRange(1, 3),
        });
        string outDir = TestPaths.NewTempDirectory();
        var experiment = new GauExperiment(ml, space, (p, plumbing) =>
            ml.MulticlassClassification.Trainers.GauTextClassification(plumbing.Apply(p, TextClassificationTests.Options)))
        {
            Tuner = new RandomTuner(),
            Settings = new ExperimentSettings { MaxTrials = 2, Budget = TimeSpan.FromMinutes(2), Pruning = false, TrialLogPath = Path.Combine(outDir, "trials.jsonl") },
            OutputDirectory = outDir,
        };
        var leaderboard = experiment.Run(train, holdout);
        Assert.Equal(2, leaderboard.Count);
        Assert.All(leaderboard, t => Assert.Equal(TrialStatus.Completed, t.Status));
        Assert.True(leaderboard[0].Metric >= leaderboard[1].Metric);
        Assert.NotNull(experiment.BestModel);
        Assert.True(File.Exists(Path.Combine(outDir, GauExperiment.BestModelFile)));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(outDir, "trials.jsonl")).Length);
    }

    [Fact]
    public void ASearchOverWholePipelinesRanksAChainWithoutGauBesideAGauOneAndKeepsTheBest()
    {
        var (ml, train, holdout) = KeywordTask();
        var space = new SearchSpace(new Dictionary<string, ParameterRange>
        {
            [TrialParameters.Pipeline] = new Choice("char-ngrams", "gau"),
            [TrialParameters.Epochs] = new IntRange(1, 2),
        });
        string outDir = TestPaths.NewTempDirectory();
        IEstimator<ITransformer> CharNgrams(int epochs) => ml.Transforms.Text.FeaturizeText("Features", new Microsoft.ML.Transforms.Text.TextFeaturizingEstimator.Options
        {
            WordFeatureExtractor = null,
            CharFeatureExtractor = new Microsoft.ML.Transforms.Text.WordBagEstimator.Options { NgramLength = 2 },
        }, "Sentence").Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features", maximumNumberOfIterations: epochs * 10));
        var experiment = new GauExperiment(ml, space, (p, plumbing) => p.Text(TrialParameters.Pipeline) == "char-ngrams"
            ? CharNgrams(p.Int(TrialParameters.Epochs))
            : ml.MulticlassClassification.Trainers.GauTextClassification(plumbing.Apply(p, TextClassificationTests.Options)))
        {
            Tuner = new RandomTuner(),
            Settings = new ExperimentSettings { MaxTrials = 3, Seed = 1, Budget = TimeSpan.FromMinutes(2), Pruning = false },
            OutputDirectory = outDir,
        };
        var leaderboard = experiment.Run(train, holdout);
        output.WriteLine(string.Join("\n", leaderboard.Select(t => $"{t.Parameters}: {t.Metric:F4} ({t.Status})")));

        Assert.All(leaderboard, t => Assert.Equal(TrialStatus.Completed, t.Status));
        Assert.Equal(["char-ngrams", "gau"], leaderboard.Select(t => t.Parameters.Text(TrialParameters.Pipeline)).Distinct().Order());
        Assert.True(leaderboard.Zip(leaderboard.Skip(1)).All(pair => pair.First.Metric >= pair.Second.Metric), "the leaderboard is not ordered by the metric");
        // The kept model, in memory and on disk, is the best trial's, whichever pipeline that was.
        double Accuracy(ITransformer model) => ml.MulticlassClassification.Evaluate(model.Transform(holdout)).MicroAccuracy;
        Assert.Equal(leaderboard[0].Metric!.Value, Accuracy(experiment.BestModel!), 9);
        Assert.Equal(leaderboard[0].Metric!.Value, Accuracy(ml.Model.LoadGauModel(Path.Combine(outDir, GauExperiment.BestModelFile), out _)), 9);
    }

    // 100 training and 40 holdout rows of the keyword task, labels as keys.
    private static (MLContext Ml, IDataView Train, IDataView Holdout) KeywordTask()
    {
        var ml = new MLContext(seed: 1);
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(100, 20)));
        return (ml, keyMap.Transform(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(100, 20))), keyMap.Transform(ml.Data.LoadFromEnumerable(SyntheticText.Sentences(40, 21))));
    }
}
