using GauMLNet.Clue;
using GauMLNet.Experiments;
using GauMLNet.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Tests.Experiments;

public class PipelineSelectionTests
{
    private static CandidateScore Score(string name, int cost, params double[] folds) =>
        new(name, cost, name, CandidateStatus.Completed, folds, null, 1, 1);

    [Fact]
    public void TheBestMeanWinsUnlessACheaperCandidateIsWithinOneStandardDeviation()
    {
        var cheap = Score("cheap", 0, 0.72, 0.74, 0.70);      // mean 0.72
        var dear = Score("dear", 2, 0.82, 0.68, 0.78);        // differences .10, -.06, .08: mean .04, standard error .050: a tie
        Assert.Equal("cheap", PipelineSelection.Choose([dear, cheap])!.Name);
        var steady = Score("dear", 2, 0.75, 0.77, 0.76);      // differences .03, .03, .06: mean .04, standard error .010: better
        Assert.Equal("dear", PipelineSelection.Choose([steady, cheap])!.Name);
        var stopped = new CandidateScore("stopped", 0, "", CandidateStatus.StoppedByBudget, [0.99], null, 1, null);
        Assert.Equal("dear", PipelineSelection.Choose([stopped, steady, cheap])!.Name);
        Assert.Null(PipelineSelection.Choose([stopped]));
    }

    [Fact]
    public void TheMeanAndSampleStandardDeviationAreOverTheFolds()
    {
        var s = Score("x", 0, 0.5, 0.7, 0.9);
        Assert.Equal(0.7, s.Mean, 12);
        Assert.Equal(0.2, s.StandardDeviation, 12);
    }

    // Two kinds of sentence, told apart by their characters: n-grams learn it; a candidate that always answers "neg" does not.
    private static List<ClueExample> Rows(int count, int offset) => Enumerable.Range(offset, count).Select(i => new ClueExample
    {
        Id = i.ToString(),
        Sentence1 = i % 2 == 0 ? $"很好喜欢推荐{i}" : $"很差失望退货{i}",
        Label = i % 2 == 0 ? "pos" : "neg",
    }).ToList();

    private static PipelineCandidate AlwaysNeg(MLContext ml) => new("always-neg", 0, "answers neg", _ =>
        ml.Transforms.Expression("PredictedLabel", "x => \"neg\"", nameof(ClueExample.Sentence1)));

    [Fact]
    public void CandidatesAreCrossValidatedOnTheSameFoldsAndTheWinnerIsRefitOnEveryRow()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        var selection = new PipelineSelection(ml) { Folds = 4, Seed = 3, Log = log.Add };
        var failing = new PipelineCandidate("broken", 1, "has no PredictedLabel", _ => ml.Transforms.CopyColumns("Other", nameof(ClueExample.Sentence1)));
        var ngrams = new PipelineCandidate("char-ngrams", 2, "n-grams", _ => CharNgramPipeline.Classifier(ml, isPair: false));
        var result = selection.Run(Rows(60, 0), Rows(20, 60), [ngrams, failing, AlwaysNeg(ml)]);

        Assert.Equal(["always-neg", "broken", "char-ngrams"], result.Leaderboard.Select(s => s.Name)); // cheapest first
        var always = result.Leaderboard[0];
        Assert.Equal(4, always.FoldAccuracies.Count);
        Assert.All(always.FoldAccuracies, a => Assert.Equal(0.5, a, 12)); // stratified: every fold is half neg
        Assert.Equal(0.5, always.DevAccuracy!.Value, 12);
        var broken = result.Leaderboard[1];
        Assert.Equal(CandidateStatus.Failed, broken.Status);
        Assert.Contains("has no text column PredictedLabel", broken.Error);
        var ngramScore = result.Leaderboard[2];
        Assert.True(ngramScore.Mean > 0.9, $"n-grams cross-validated at {ngramScore.Mean}");
        Assert.True(ngramScore.ModelBytes > 0);
        Assert.Equal("char-ngrams", result.Chosen.Name);
        // The refit model has seen every row, dev included.
        var predicted = result.Model.Transform(ml.Data.LoadFromEnumerable(Rows(80, 0))).GetColumn<string>("PredictedLabel").ToList();
        Assert.Equal(Rows(80, 0).Select(r => r.Label), predicted);
        Assert.Contains(log, l => l.StartsWith("char-ngrams: fold 4/4:", StringComparison.Ordinal));
    }

    [Fact]
    public void ACandidateClearlyBehindTheLeaderStopsEarlyAndIsLeftOutOnlyWhenAskedTo()
    {
        var ml = new MLContext(seed: 1);
        var ngrams = new PipelineCandidate("char-ngrams", 0, "n-grams", _ => CharNgramPipeline.Classifier(ml, isPair: false));
        var behind = AlwaysNeg(ml) with { Cost = 1 };
        var stopping = new PipelineSelection(ml) { Folds = 5, Seed = 3, StopEarlyAfterFolds = 3 }.Run(Rows(60, 0), null, [ngrams, behind]);
        var stopped = stopping.Leaderboard.Single(s => s.Name == "always-neg");
        Assert.Equal(CandidateStatus.StoppedEarly, stopped.Status);
        Assert.Equal(3, stopped.FoldAccuracies.Count);
        Assert.Contains("stopped after 3 of 5 folds: behind char-ngrams on each", stopped.Error);
        Assert.Equal("char-ngrams", stopping.Chosen.Name);
        Assert.Equal(5, stopping.Leaderboard.Single(s => s.Name == "char-ngrams").FoldAccuracies.Count); // the leader is never stopped

        var whole = new PipelineSelection(ml) { Folds = 5, Seed = 3 }.Run(Rows(60, 0), null, [ngrams, behind]);
        Assert.All(whole.Leaderboard, s => Assert.Equal((CandidateStatus.Completed, 5), (s.Status, s.FoldAccuracies.Count)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PipelineSelection(ml) { StopEarlyAfterFolds = 1 }.Run(Rows(60, 0), null, [ngrams]));
    }

    [Fact]
    public void ClearlyBehindMeansBehindOnEveryFoldByMoreThanTwoStandardErrors()
    {
        var leader = Score("leader", 0, 0.80, 0.70, 0.75, 0.90, 0.85);
        Assert.True(PipelineSelection.ClearlyBehind([0.70, 0.58, 0.64], leader));   // differences .10, .12, .11
        Assert.False(PipelineSelection.ClearlyBehind([0.70, 0.60, 0.65, 0.80, 0.851], leader)); // .10 four times, but ahead on the last fold
        Assert.False(PipelineSelection.ClearlyBehind([0.50, 0.69, 0.74], leader));  // .30, .01, .01: mean .107 < 2 × .167 / √3
        Assert.False(PipelineSelection.ClearlyBehind([0.70], leader));              // one fold says nothing of the spread
    }

    [Fact]
    public void ACandidateTheBudgetStopsIsLeftOutAndTheNextIsNotStarted()
    {
        var ml = new MLContext(seed: 1);
        var selection = new PipelineSelection(ml) { Folds = 2, Budget = TimeSpan.FromMilliseconds(20) };
        var slow = new PipelineCandidate("slow", 0, "waits for the budget", token =>
        {
            token.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
            token.ThrowIfCancellationRequested();
            return CharNgramPipeline.Classifier(ml, isPair: false);
        });
        var board = new List<CandidateScore>();
        selection.CandidateFinished += board.Add;
        var error = Assert.Throws<TimeoutException>(() => selection.Run(Rows(20, 0), null, [slow, AlwaysNeg(ml) with { Cost = 1 }]));
        Assert.Contains("No candidate finished its 2-fold cross-validation within the budget", error.Message);
        Assert.Equal([CandidateStatus.StoppedByBudget, CandidateStatus.StoppedByBudget], board.Select(s => s.Status));
        Assert.Equal("stopped by the budget after 0 of 2 folds", board[0].Error);
        Assert.Equal("not started: the budget had run out", board[1].Error);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PipelineSelection(ml) { Budget = TimeSpan.Zero }.Run(Rows(20, 0), null, [AlwaysNeg(ml)]));
    }

    [Fact]
    public void AnUnlabelledRowOrTwoCandidatesOfOneNameAreRefused()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(10, 0);
        rows[4].Label = "";
        var selection = new PipelineSelection(ml) { Folds = 2 };
        Assert.Contains("train row 5 (id '4') has no label", Assert.Throws<ArgumentException>(() => selection.Run(rows, null, [AlwaysNeg(ml)])).Message);
        Assert.Contains("Two candidates are named 'always-neg'", Assert.Throws<ArgumentException>(() => selection.Run(Rows(10, 0), null, [AlwaysNeg(ml), AlwaysNeg(ml)])).Message);
    }
}
