using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GauMLNet.Serving.Tests.Support;

/// <summary>
/// Listens to GauMLNet.Serving's meter and activity source and keeps what one scorer (by its name tag) reported, so tests
/// running at the same time under other scorer names do not mix in.
/// </summary>
public sealed class TelemetryRecorder : IDisposable
{
    private readonly string _scorer;
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;

    public TelemetryRecorder(string scorer)
    {
        _scorer = scorer;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GauServingTelemetry.MeterName)
            {
                Units[instrument.Name] = instrument.Unit;
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _meters.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _meters.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _meters.Start();
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GauServingTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (Equals(a.GetTagItem(GauServingTelemetry.ScorerTag), _scorer)) Spans.Enqueue(a);
            },
        };
        ActivitySource.AddActivityListener(_activities);
    }

    /// <summary>Each instrument's unit, by name.</summary>
    public ConcurrentDictionary<string, string?> Units { get; } = new();

    /// <summary>Every measurement of this scorer: (instrument, value, tags).</summary>
    public ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

    public ConcurrentQueue<Activity> Spans { get; } = new();

    public double[] Values(string instrument) => [.. Measurements.Where(m => m.Instrument == instrument).Select(m => m.Value)];

    /// <summary>Asks the observable instruments (the queue depth) for their current values.</summary>
    public void Observe() => _meters.RecordObservableInstruments();

    private void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags) where T : struct
    {
        var all = new Dictionary<string, object?>();
        foreach (var tag in tags) all[tag.Key] = tag.Value;
        if (Equals(all.GetValueOrDefault(GauServingTelemetry.ScorerTag), _scorer)) Measurements.Enqueue((instrument.Name, Convert.ToDouble(value), all));
    }

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }
}
