using System.Diagnostics;
using System.Text.Json;

namespace GauMLNet.Experiments;

/// <summary>How a trial ended.</summary>
public enum TrialStatus { Completed, Pruned, StoppedByBudget, Failed }

/// <summary>One row of the leaderboard and of the trial log.</summary>
public sealed record TrialResult(int Id, TrialParameters Parameters, double? Metric, double Seconds, TrialStatus Status,
    IReadOnlyList<double> EpochMetrics, string? Error = null);

/// <summary>What a trial function gets: its parameters, a report hook for per-epoch metrics (pruning), and a token the budget cancels.</summary>
public sealed class TrialContext(int id, TrialParameters parameters, CancellationToken cancellation, Func<int, double, bool> shouldPrune)
{
    public int Id { get; } = id;
    public TrialParameters Parameters { get; } = parameters;
    public CancellationToken Cancellation { get; } = cancellation;
    internal bool Pruned { get; private set; }

    /// <summary>Report an intermediate metric after an epoch; returns true when the trial should stop (it is below the median at that epoch).</summary>
    public bool ReportEpoch(int epoch, double metric)
    {
        EpochMetrics.Add(metric);
        if (shouldPrune(epoch, metric)) Pruned = true;
        return Pruned;
    }

    internal List<double> EpochMetrics { get; } = [];
}

/// <summary>Settings of an experiment run.</summary>
public sealed record ExperimentSettings
{
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(20);
    public int MaxTrials { get; init; } = 100;
    public int Seed { get; init; }
    /// <summary>Stop a trial whose epoch-k metric is below the median of earlier trials at epoch k (after this many trials reached it).</summary>
    public int PruneAfterTrials { get; init; } = 3;
    public bool Pruning { get; init; } = true;
    /// <summary>JSON lines, one finished trial per line; an experiment pointed at an existing log resumes after its trials.</summary>
    public string? TrialLogPath { get; init; }
}

/// <summary>
/// The search loop: propose, run under the time budget (a trial that would overrun is cancelled), prune
/// by the median rule on per-epoch metrics, log each finished trial as a JSON line, resume from that log.
/// Higher metric is better.
/// </summary>
public sealed class ExperimentRunner(SearchSpace space, ITuner tuner, ExperimentSettings settings)
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public event Action<TrialResult, IReadOnlyList<TrialResult>>? TrialFinished;

    /// <param name="trial">runs one trial and returns its metric (throw OperationCanceledException when the context's token fires)</param>
    public IReadOnlyList<TrialResult> Run(Func<TrialContext, double> trial, CancellationToken cancellation = default)
    {
        var history = LoadLog();
        var random = new Random(settings.Seed);
        foreach (var _ in history) space.Sample(random); // keep the random stream where the interrupted run left it
        var clock = Stopwatch.StartNew();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        budget.CancelAfter(settings.Budget);

        while (history.Count < settings.MaxTrials && !budget.IsCancellationRequested)
        {
            var parameters = tuner.Propose(space, history, random);
            int id = history.Count == 0 ? 1 : history.Max(h => h.Id) + 1;
            var context = new TrialContext(id, parameters, budget.Token, (epoch, metric) => ShouldPrune(history, parameters, epoch, metric));
            var start = clock.Elapsed;
            TrialResult result;
            try
            {
                double metric = trial(context);
                result = new TrialResult(id, parameters, metric, (clock.Elapsed - start).TotalSeconds, context.Pruned ? TrialStatus.Pruned : TrialStatus.Completed, context.EpochMetrics);
            }
            catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellation.IsCancellationRequested)
            {
                result = new TrialResult(id, parameters, null, (clock.Elapsed - start).TotalSeconds, TrialStatus.StoppedByBudget, context.EpochMetrics);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                result = new TrialResult(id, parameters, null, (clock.Elapsed - start).TotalSeconds, TrialStatus.Failed, context.EpochMetrics, ex.Message);
            }
            history.Add(result);
            AppendLog(result);
            TrialFinished?.Invoke(result, history);
        }
        cancellation.ThrowIfCancellationRequested();
        return history;
    }

    // Median rule. Trials with a different epoch count follow a different learning-rate schedule (linear
    // decay over their own length), so their epoch-k scores are not comparable: only same-length peers count.
    private bool ShouldPrune(List<TrialResult> history, TrialParameters parameters, int epoch, double metric)
    {
        if (!settings.Pruning) return false;
        bool sameLength(TrialResult h) => !parameters.Has(TrialParameters.Epochs) ||
            (h.Parameters.Has(TrialParameters.Epochs) && h.Parameters.Int(TrialParameters.Epochs) == parameters.Int(TrialParameters.Epochs));
        var peers = history.Where(h => sameLength(h) && h.EpochMetrics.Count >= epoch).Select(h => h.EpochMetrics[epoch - 1]).Order().ToList();
        if (peers.Count < settings.PruneAfterTrials) return false;
        double median = peers[peers.Count / 2];
        return metric < median;
    }

    private List<TrialResult> LoadLog()
    {
        if (settings.TrialLogPath is not { } path || !File.Exists(path)) return [];
        return TrialLog.Read(path, space, Json);
    }

    private void AppendLog(TrialResult result)
    {
        if (settings.TrialLogPath is not { } path) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.AppendAllText(path, JsonSerializer.Serialize(TrialLog.LoggedTrial.From(result), Json) + "\n");
    }
}
