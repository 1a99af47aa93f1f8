using GauMLNet.Serving.Tests.Support;

namespace GauMLNet.Serving.Tests;

/// <summary>What a scorer reports through System.Diagnostics.Metrics and its activity source, on a recording engine.</summary>
public sealed class TelemetryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RequestsRowsBatchesLatencyAndSpansAreReported()
    {
        string name = "telemetry-" + Guid.NewGuid().ToString("N");
        using var recorder = new TelemetryRecorder(name);
        var engine = new RecordingEngine { Delay = TimeSpan.FromMilliseconds(20) };
        await using var scorer = new GauBatchingScorer(FakeModels.Regression(engine),
            new GauScoringOptions { MaxBatchSize = 8, MaxWait = TimeSpan.FromMilliseconds(20) }, name, ownsModel: true);

        var requests = Enumerable.Range(0, 20).Select(i => Task.Run(() => scorer.ScoreAsync(i % 4 == 0 ? ["甲", "乙"] : ["丙"]))).ToArray();
        await Task.WhenAll(requests).WaitAsync(Patience);

        Assert.Equal(20, recorder.Values("gaumlnet.serving.requests").Sum());
        Assert.Equal(25, recorder.Values("gaumlnet.serving.rows").Sum());
        var batchSizes = recorder.Values("gaumlnet.serving.batch.size");
        Assert.Equal(25, batchSizes.Sum());
        Assert.Equal(engine.Batches.Count, batchSizes.Length);
        Assert.All(batchSizes, size => Assert.InRange(size, 1, 8));
        var durations = recorder.Values("gaumlnet.serving.request.duration");
        Assert.Equal(20, durations.Length);
        Assert.All(durations, seconds => Assert.InRange(seconds, 0.015, Patience.TotalSeconds)); // each waited for at least one 20 ms pass
        Assert.Empty(recorder.Values("gaumlnet.serving.rejections"));

        Assert.Equal(batchSizes.Length, recorder.Spans.Count);
        Assert.All(recorder.Spans, span => Assert.Equal(GauServingTelemetry.BatchActivityName, span.OperationName));
        Assert.Equal(25, recorder.Spans.Sum(span => (int)span.GetTagItem("gaumlnet.batch.rows")!));
        Assert.Equal(20, recorder.Spans.Sum(span => (int)span.GetTagItem("gaumlnet.batch.requests")!));

        Assert.Equal("{request}", recorder.Units["gaumlnet.serving.requests"]);
        Assert.Equal("{row}", recorder.Units["gaumlnet.serving.rows"]);
        Assert.Equal("{row}", recorder.Units["gaumlnet.serving.batch.size"]);
        Assert.Equal("s", recorder.Units["gaumlnet.serving.request.duration"]);
        Assert.Equal("{request}", recorder.Units["gaumlnet.serving.queue.depth"]);
        Assert.Equal("{request}", recorder.Units["gaumlnet.serving.rejections"]);
    }

    [Fact]
    public async Task QueueDepthRejectionsAndFailuresAreReported()
    {
        string name = "telemetry-" + Guid.NewGuid().ToString("N");
        using var recorder = new TelemetryRecorder(name);
        var engine = new RecordingEngine();
        await using var scorer = new GauBatchingScorer(FakeModels.Regression(engine),
            new GauScoringOptions { MaxBatchSize = 1, MaxWait = TimeSpan.Zero, QueueCapacity = 2, QueueFullMode = QueueFullMode.Reject }, name, ownsModel: true);
        await scorer.ScoreAsync(["甲"]);
        engine.Gate.Reset();
        var running = scorer.ScoreAsync(["乙"]);
        var deadline = DateTime.UtcNow + Patience;
        while (engine.Running != 1 && DateTime.UtcNow < deadline) await Task.Delay(5);
        var queued = new[] { scorer.ScoreAsync(["丙"]), scorer.ScoreAsync(["丁"]) };
        await Assert.ThrowsAsync<GauScorerOverloadedException>(() => scorer.ScoreAsync(["戊"]));

        recorder.Observe();
        Assert.Equal([2.0], recorder.Values("gaumlnet.serving.queue.depth"));
        Assert.Equal([1.0], recorder.Values("gaumlnet.serving.rejections"));

        engine.Fail = _ => new InvalidOperationException("engine failure");
        engine.Gate.Set();
        await Assert.ThrowsAsync<InvalidOperationException>(() => running.WaitAsync(Patience));
        foreach (var request in queued) await Assert.ThrowsAsync<InvalidOperationException>(() => request.WaitAsync(Patience));

        var failed = recorder.Measurements.Where(m => m.Instrument == "gaumlnet.serving.request.duration" && m.Tags.ContainsKey(GauServingTelemetry.ErrorTypeTag)).ToList();
        Assert.Equal(3, failed.Count);
        Assert.All(failed, m => Assert.Equal(typeof(InvalidOperationException).FullName, m.Tags[GauServingTelemetry.ErrorTypeTag]));
        Assert.Contains(recorder.Spans, span => span.Status == System.Diagnostics.ActivityStatusCode.Error);
        recorder.Observe();
        Assert.Equal(0.0, recorder.Values("gaumlnet.serving.queue.depth")[^1]);
    }
}
