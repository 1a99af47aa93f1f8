using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GauMLNet.Serving;

/// <summary>
/// What scorers report to operators, by OpenTelemetry's naming rules: the meter <see cref="MeterName"/> and the activity
/// source <see cref="ActivitySourceName"/> (both "GauMLNet.Serving"). Every measurement carries the scorer's name
/// (<see cref="ScorerTag"/>). Wire them with <c>.WithMetrics(m =&gt; m.AddMeter(GauServingTelemetry.MeterName))</c> and
/// <c>.WithTracing(t =&gt; t.AddSource(GauServingTelemetry.ActivitySourceName))</c>. Nothing is measured while nobody listens.
/// </summary>
public static class GauServingTelemetry
{
    public const string MeterName = "GauMLNet.Serving";
    public const string ActivitySourceName = "GauMLNet.Serving";

    /// <summary>The scorer's name (<c>AddGauScoring(name, …)</c>) on every measurement and span.</summary>
    public const string ScorerTag = "gaumlnet.scorer.name";

    /// <summary>On a failed request's duration and a failed batch's span: the exception's type.</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>The span name of one gathered batch's scoring.</summary>
    public const string BatchActivityName = "gaumlnet.serving.batch";

    private static readonly string? Version = typeof(GauServingTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly ConcurrentDictionary<GauBatchingScorer, byte> Live = new();

    internal static readonly ActivitySource ActivitySource = new(ActivitySourceName, Version);
    internal static readonly Meter Meter = new(MeterName, Version);

    /// <summary>Requests accepted into the queue.</summary>
    internal static readonly Counter<long> Requests = Meter.CreateCounter<long>("gaumlnet.serving.requests", "{request}", "Requests accepted by the scorer's queue.");

    /// <summary>Rows (texts or pairs) accepted into the queue.</summary>
    internal static readonly Counter<long> Rows = Meter.CreateCounter<long>("gaumlnet.serving.rows", "{row}", "Rows (texts or sentence pairs) accepted by the scorer's queue.");

    /// <summary>Requests refused because the queue was full (QueueFullMode.Reject).</summary>
    internal static readonly Counter<long> Rejections = Meter.CreateCounter<long>("gaumlnet.serving.rejections", "{request}", "Requests refused because the scorer's queue was full.");

    /// <summary>Rows per gathered batch.</summary>
    internal static readonly Histogram<int> BatchSize = Meter.CreateHistogram("gaumlnet.serving.batch.size", "{row}", "Rows scored together in one gathered batch.",
        tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    /// <summary>From the request's arrival to its result: queueing, batching and scoring.</summary>
    internal static readonly Histogram<double> RequestDuration = Meter.CreateHistogram("gaumlnet.serving.request.duration", "s",
        "Time from a request's arrival to its result (queue wait, batching and scoring).",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    static GauServingTelemetry()
    {
        Meter.CreateObservableUpDownCounter("gaumlnet.serving.queue.depth", ObserveQueues, "{request}", "Requests waiting in the scorer's queue.");
    }

    private static IEnumerable<Measurement<int>> ObserveQueues() =>
        Live.Keys.Select(s => new Measurement<int>(s.QueueDepth, new KeyValuePair<string, object?>(ScorerTag, s.Name)));

    internal static void Started(GauBatchingScorer scorer) => Live.TryAdd(scorer, 0);

    internal static void Stopped(GauBatchingScorer scorer) => Live.TryRemove(scorer, out _);
}
