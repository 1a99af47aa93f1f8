using System.Diagnostics;
using GauMLNet.Clue;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Experiments;

/// <summary>The leaderboard (candidates in the order they ran), the chosen candidate, and its model refit on every labelled row.</summary>
public sealed record PipelineSelectionResult(IReadOnlyList<CandidateScore> Leaderboard, CandidateScore Chosen, ITransformer Model, DataViewSchema InputSchema);

/// <summary>
/// Chooses between whole pipelines as an AutoML experiment does, and honestly for few labels: every candidate is
/// cross-validated over train + dev in stratified folds (the same folds for all), scored by the mean held-out accuracy;
/// the best mean wins, except that a cheaper candidate within one standard deviation of it (of the paired difference's
/// estimate, <see cref="WithinNoise"/>) is preferred. The winner is then
/// refit on every labelled row. A dev split, when given, is also scored by a fit on the train split alone, for the
/// leaderboard only: a 160-row dev set is too small to choose by. Candidates run cheapest first under one time budget;
/// one the budget stops, or one stopped early as clearly behind (<see cref="StopEarlyAfterFolds"/>), is left out of the
/// choice, and the refit always runs.
/// </summary>
public sealed class PipelineSelection(MLContext ml)
{
    public const string PredictedLabelColumn = "PredictedLabel";

    /// <summary>Folds of the cross-validation (2 or more).</summary>
    public int Folds { get; init; } = 5;
    /// <summary>Seeds the folds.</summary>
    public int Seed { get; init; }
    /// <summary>For all candidates' cross-validation together; the refit of the winner is outside it.</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(30);
    /// <summary>
    /// Null (the default): every candidate runs all its folds. N (2 or more): from its Nth fold on, a candidate behind the
    /// leader so far on every one of the same folds, by more than two standard errors of the paired difference
    /// (<see cref="ClearlyBehind"/>), stops there and is left out of the choice.
    /// </summary>
    public int? StopEarlyAfterFolds { get; init; }
    /// <summary>Receives a line per fold and per candidate.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Raised as each candidate's cross-validation ends.</summary>
    public event Action<CandidateScore>? CandidateFinished;

    public PipelineSelectionResult Run(IReadOnlyList<ClueExample> train, IReadOnlyList<ClueExample>? dev, IReadOnlyList<PipelineCandidate> candidates,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0) throw new ArgumentException("Give at least one candidate.", nameof(candidates));
        if (Budget <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Budget), Budget, "The budget must be positive.");
        if (StopEarlyAfterFolds < 2) throw new ArgumentOutOfRangeException(nameof(StopEarlyAfterFolds), StopEarlyAfterFolds, "Stopping early needs at least 2 folds to compare.");
        if (candidates.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"Two candidates are named '{twice.Key}'.", nameof(candidates));
        RequireLabels(train, "train");
        if (dev is not null) RequireLabels(dev, "dev");
        var all = train.Concat(dev ?? []).ToList();
        int[] fold = StratifiedFolds.Assign(all.Select(r => r.Label).ToList(), Folds, Seed);

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        budget.CancelAfter(Budget);
        var board = new List<CandidateScore>();
        foreach (var candidate in candidates.OrderBy(c => c.Cost))
        {
            cancellation.ThrowIfCancellationRequested();
            var score = budget.IsCancellationRequested
                ? new CandidateScore(candidate.Name, candidate.Cost, candidate.Description, CandidateStatus.StoppedByBudget, [], null, 0, null, "not started: the budget had run out")
                : CrossValidate(candidate, Leader(board), train, dev, all, fold, budget.Token, cancellation);
            board.Add(score);
            Log?.Invoke(score.Status == CandidateStatus.Completed
                ? $"{score.Name}: cross-validated accuracy {score.Mean:P2} ± {score.StandardDeviation:P2} in {score.Seconds:F0} s"
                : $"{score.Name}: {score.Status} ({score.Error})");
            CandidateFinished?.Invoke(score);
        }
        var chosen = Choose(board)
            ?? throw new TimeoutException($"No candidate finished its {Folds}-fold cross-validation within the budget of {Budget}: give more time or fewer folds.");
        Log?.Invoke($"chosen: {chosen.Name}; refitting it on all {all.Count} labelled rows");
        var view = View(all);
        var model = candidates.Single(c => c.Name == chosen.Name).Estimator(cancellation).Fit(view);
        return new PipelineSelectionResult(board, chosen, model, view.Schema);
    }

    /// <summary>The best mean, or the cheapest completed candidate within one standard deviation of it (<see cref="WithinNoise"/>; null: none completed).</summary>
    public static CandidateScore? Choose(IReadOnlyList<CandidateScore> leaderboard)
    {
        if (Leader(leaderboard) is not { } best) return null;
        return Completed(leaderboard).Where(s => WithinNoise(s, best)).OrderBy(s => s.Cost).ThenByDescending(s => s.Mean).First();
    }

    /// <summary>
    /// Whether a candidate's first folds are clearly behind the leader's same folds: behind on every one, and by a mean
    /// difference above two standard errors (their standard deviation over √n). Its remaining folds would have to undo a
    /// consistent deficit for it to be chosen; the leader ran before it, so it is never the cheaper of the two.
    /// </summary>
    public static bool ClearlyBehind(IReadOnlyList<double> foldAccuracies, CandidateScore leader)
    {
        var differences = PairedDifferences(leader.FoldAccuracies, foldAccuracies);
        if (differences.Count < 2 || differences.Count != foldAccuracies.Count || differences.Any(d => d <= 0)) return false;
        return differences.Average() > 2 * StandardError(differences);
    }

    // The completed candidate with the best mean so far (null: none completed).
    private static CandidateScore? Leader(IReadOnlyList<CandidateScore> board) => Completed(board).MaxBy(s => s.Mean);

    private static IEnumerable<CandidateScore> Completed(IReadOnlyList<CandidateScore> board) =>
        board.Where(s => s.Status == CandidateStatus.Completed && s.FoldAccuracies.Count > 0);

    /// <summary>
    /// Whether <paramref name="candidate"/>'s mean is within one standard deviation of the best's, where the deviation is
    /// that of the estimated difference: both were scored on the same folds, so the per-fold differences are paired, and
    /// the mean difference is compared with their standard deviation over √k (its standard error). The spread of single
    /// folds would be √k times wider and call almost any two candidates equal.
    /// </summary>
    public static bool WithinNoise(CandidateScore candidate, CandidateScore best)
    {
        if (ReferenceEquals(candidate, best)) return true;
        var differences = PairedDifferences(best.FoldAccuracies, candidate.FoldAccuracies);
        if (differences.Count < 2 || differences.Count != best.FoldAccuracies.Count) return candidate.Mean >= best.Mean;
        return differences.Average() <= StandardError(differences) + 1e-12;
    }

    // Fold by fold, how far the first is ahead of the second (both scored on the same folds); as many as the shorter has.
    private static List<double> PairedDifferences(IReadOnlyList<double> ahead, IReadOnlyList<double> behind) =>
        ahead.Zip(behind, (a, b) => a - b).ToList();

    // The standard error of the differences' mean: their sample standard deviation over √n.
    private static double StandardError(List<double> differences) =>
        CandidateScore.SampleStandardDeviation(differences) / Math.Sqrt(differences.Count);

    private CandidateScore CrossValidate(PipelineCandidate candidate, CandidateScore? leader, IReadOnlyList<ClueExample> train, IReadOnlyList<ClueExample>? dev,
        List<ClueExample> all, int[] fold, CancellationToken budget, CancellationToken caller)
    {
        var clock = Stopwatch.StartNew();
        var accuracies = new List<double>();
        long? bytes = null;
        try
        {
            for (int k = 0; k < Folds; k++)
            {
                var fitRows = all.Where((_, i) => fold[i] != k).ToList();
                var heldOut = all.Where((_, i) => fold[i] == k).ToList();
                var view = View(fitRows);
                var model = candidate.Estimator(budget).Fit(view);
                accuracies.Add(Accuracy(candidate, model, heldOut));
                bytes ??= SavedBytes(model, view.Schema);
                Log?.Invoke($"{candidate.Name}: fold {k + 1}/{Folds}: {accuracies[^1]:P2} of {heldOut.Count} held-out rows");
                if (leader is not null && accuracies.Count >= StopEarlyAfterFolds && accuracies.Count < Folds && ClearlyBehind(accuracies, leader))
                    return new CandidateScore(candidate.Name, candidate.Cost, candidate.Description, CandidateStatus.StoppedEarly, accuracies, null, clock.Elapsed.TotalSeconds, bytes,
                        $"stopped after {accuracies.Count} of {Folds} folds: behind {leader.Name} on each, by {PairedDifferences(leader.FoldAccuracies, accuracies).Average():P2} on average");
            }
            double? devAccuracy = dev is { Count: > 0 } ? Accuracy(candidate, candidate.Estimator(budget).Fit(View(train)), dev) : null;
            return new CandidateScore(candidate.Name, candidate.Cost, candidate.Description, CandidateStatus.Completed, accuracies, devAccuracy, clock.Elapsed.TotalSeconds, bytes);
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !caller.IsCancellationRequested)
        {
            return new CandidateScore(candidate.Name, candidate.Cost, candidate.Description, CandidateStatus.StoppedByBudget, accuracies, null, clock.Elapsed.TotalSeconds, bytes,
                $"stopped by the budget after {accuracies.Count} of {Folds} folds");
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            return new CandidateScore(candidate.Name, candidate.Cost, candidate.Description, CandidateStatus.Failed, accuracies, null, clock.Elapsed.TotalSeconds, bytes,
                $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private IDataView View(IReadOnlyList<ClueExample> rows) => ml.Data.LoadFromEnumerable(rows);

    // Every held-out row counts: a label the fold's model never saw is an error, not a dropped row.
    private double Accuracy(PipelineCandidate candidate, ITransformer model, IReadOnlyList<ClueExample> rows)
    {
        var scored = model.Transform(View(rows));
        if (scored.Schema.GetColumnOrNull(PredictedLabelColumn) is not { } column || column.Type.RawType != typeof(ReadOnlyMemory<char>))
            throw new InvalidOperationException($"candidate '{candidate.Name}' has no text column {PredictedLabelColumn}: end its chain with MapKeyToValue(\"{PredictedLabelColumn}\").");
        var predicted = scored.GetColumn<string>(PredictedLabelColumn).ToList();
        if (predicted.Count != rows.Count) throw new InvalidOperationException($"candidate '{candidate.Name}' scored {predicted.Count} of {rows.Count} rows.");
        return rows.Where((r, i) => string.Equals(r.Label, predicted[i], StringComparison.Ordinal)).Count() / (double)rows.Count;
    }

    private long SavedBytes(ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        return stream.Length;
    }

    private static void RequireLabels(IReadOnlyList<ClueExample> rows, string split)
    {
        for (int i = 0; i < rows.Count; i++)
            if (string.IsNullOrEmpty(rows[i].Label))
                throw new ArgumentException($"{split} row {i + 1} (id '{rows[i].Id}') has no label: every row of a selection must be labelled.");
    }
}
