using GauMLNet.Serving.Tests.Support;

namespace GauMLNet.Serving.Tests;

/// <summary>The batching scorer's contract, on a recording engine: batches, order, limits, cancellation, back-pressure, failures.</summary>
public sealed class BatchingScorerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static string Text(int i) => $"{FakeModels.Characters[i % 22]}好";

    [Fact]
    public async Task ConcurrentRequestsShareForwardPassesAndEachGetsItsOwnRow()
    {
        var engine = new RecordingEngine { Delay = TimeSpan.FromMilliseconds(30) };
        await using var scorer = new GauBatchingScorer(FakeModels.Regression(engine), new GauScoringOptions { MaxBatchSize = 8, MaxWait = TimeSpan.FromMilliseconds(20) }, ownsModel: true);

        var requests = Enumerable.Range(0, 40).Select(i => Task.Run(() => scorer.ScoreAsync([Text(i)]))).ToArray();
        var results = await Task.WhenAll(requests).WaitAsync(Patience);

        for (int i = 0; i < results.Length; i++) Assert.Equal(FakeModels.IdOf(Text(i)[0]), results[i].Single().Single());
        var batches = engine.Batches.ToArray();
        Assert.Equal(40, batches.Sum(b => b.Length));
        Assert.All(batches, b => Assert.InRange(b.Length, 1, 8));
        Assert.True(batches.Length < 40, $"{batches.Length} forward passes for 40 requests: nothing was batched");
        Assert.Equal(batches.Length, scorer.Statistics.Batches);
        Assert.Equal(40, scorer.Statistics.Requests);
    }

    [Fact]
    public async Task ARequestOfManyRowsKeepsItsOrderAndNoPassExceedsTheMaximum()
    {
        var engine = new RecordingEngine();
        await using var scorer = new GauBatchingScorer(FakeModels.Regression(engine), new GauScoringOptions { MaxBatchSize = 4 }, ownsModel: true);

        var texts = Enumerable.Range(0, 11).Select(i => new GauInput(Text(i) + new string('平', i % 3))).ToArray();
        var result = await scorer.ScoreAsync(texts).WaitAsync(Patience);

        Assert.Equal(texts.Select(t => (float)FakeModels.IdOf(t.Text[0])), result.Select(r => r[0]));
        Assert.All(engine.Batches, b => Assert.InRange(b.Length, 1, 4));
    }

    [Fact]
    public async Task AQueuedRequestThatIsCancelledFailsAtOnceAndIsNeverScored()
    {
        var engine = new RecordingEngine();
        await using var scorer = new GauBatchingScorer(FakeModels.Regression(engine), new GauScoringOptions { MaxBatchSize = 1, MaxWait = TimeSpan.Zero }, ownsModel: true);
        await scorer.ScoreAsync(["甲"]); // loaded, loop running
        engine.Gate.Reset();
        var blocking = scorer.ScoreAsync(["乙"]);
        await WaitUntil(() => engine.Running == 1);
        using var cancel = new CancellationTokenSource();
        var cancelled = scorer.ScoreAsync(["丙"], cancel.Token);
        await Task.Delay(50);
        Assert.False(cancelled.IsCompleted);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Patience));
        engine.Gate.Set();
        await blocking.WaitAsync(Patience);
        await scorer.ScoreAsync(["丁"]).WaitAsync(Patience);

        Assert.DoesNotContain(engine.Batches.SelectMany(b => b), id => id == FakeModels.IdOf('丙'));
        Assert.Equal(1, scorer.Statistics.Cancelled);
    }

    [Fact]
    public async Task AFullQueueRejectsAtOnceInRejectMode()
    {
        var engine = new RecordingEngine();
        await using var scorer = new GauBatchingScorer(FakeModels.Regression(engine),
            new GauScoringOptions { MaxBatchSize = 1, MaxWait = TimeSpan.Zero, QueueCapacity = 2, QueueFullMode = QueueFullMode.Reject }, ownsModel: true);
        await scorer.ScoreAsync(["甲"]);
        engine.Gate.Reset();
        var running = scorer.ScoreAsync(["乙"]);
        await WaitUntil(() => engine.Running == 1);
        var queued = new[] { scorer.ScoreAsync(["丙"]), scorer.ScoreAsync(["丁"]) };

        var overload = await Assert.ThrowsAsync<GauScorerOverloadedException>(() => scorer.ScoreAsync(["戊"]));
        Assert.Equal(GauScoring.DefaultName, overload.Scorer);
        Assert.Equal(1, scorer.Statistics.Rejected);

        engine.Gate.Set();
        await Task.WhenAll(queued.Append(running)).WaitAsync(Patience); // the queued ones are still scored
        await scorer.ScoreAsync(["己"]).WaitAsync(Patience); // and there is room again
    }

    [Fact]
    public async Task AFullQueueMakesCallersWaitInWaitModeAndTheWaitIsCancellable()
    {
        var engine = new RecordingEngine();
        await using var scorer = new GauBatchingScorer(FakeModels.Regression(engine),
            new GauScoringOptions { MaxBatchSize = 1, MaxWait = TimeSpan.Zero, QueueCapacity = 1, QueueFullMode = QueueFullMode.Wait }, ownsModel: true);
        await scorer.ScoreAsync(["甲"]);
        engine.Gate.Reset();
        var running = scorer.ScoreAsync(["乙"]);
        await WaitUntil(() => engine.Running == 1);
        var queued = scorer.ScoreAsync(["丙"]);
        var waiting = scorer.ScoreAsync(["丁"]);
        using var cancel = new CancellationTokenSource();
        var givesUp = scorer.ScoreAsync(["戊"], cancel.Token);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => givesUp.WaitAsync(Patience));
        engine.Gate.Set();
        var results = await Task.WhenAll(running, queued, waiting).WaitAsync(Patience);
        Assert.Equal(FakeModels.IdOf('丁'), results[2][0][0]);
        Assert.DoesNotContain(engine.Batches.SelectMany(b => b), id => id == FakeModels.IdOf('戊'));
    }

    [Fact]
    public async Task AnEngineFailureFailsThatBatchOnlyAndTheScorerCarriesOn()
    {
        var engine = new RecordingEngine { Fail = b => b.InputIds.Contains(FakeModels.IdOf('坏')) ? new InvalidOperationException("engine fault") : null };
        await using var scorer = new GauBatchingScorer(FakeModels.Regression(engine), new GauScoringOptions { MaxBatchSize = 1 }, ownsModel: true);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => scorer.ScoreAsync(["坏"]));
        Assert.Equal("engine fault", error.Message);
        Assert.Equal(FakeModels.IdOf('好'), (await scorer.ScoreAsync(["好"]))[0][0]);
        Assert.Equal(1, scorer.Statistics.Failed);
    }

    [Fact]
    public async Task ClassifyReturnsLabelsAndProbabilities()
    {
        var engine = new RecordingEngine(); // logits [id, id + 1, id + 2]: the last label wins
        await using var scorer = new GauBatchingScorer(FakeModels.Classification(engine, "negative", "neutral", "positive"), ownsModel: true);

        var result = await scorer.ClassifyAsync("甲好");

        Assert.Equal("positive", result.Label);
        Assert.Equal(1f, result.Probabilities.Values.Sum(), 4);
        Assert.Equal(result.Score, result.Probabilities["positive"]);
        Assert.True(result.Probabilities["negative"] < result.Probabilities["neutral"]);
        var info = await scorer.GetInfoAsync();
        Assert.Equal(["negative", "neutral", "positive"], info.Labels);
        await Assert.ThrowsAsync<InvalidOperationException>(() => scorer.EmbedAsync(["甲"]));
    }

    [Fact]
    public async Task UnnamedClassesAreNamedAsMLNetNamesTheirScoreSlots()
    {
        var engine = new RecordingEngine();
        await using var scorer = new GauBatchingScorer(FakeModels.Classification(engine, 3, labels: null), ownsModel: true);

        var result = await scorer.ClassifyAsync("甲好");

        Assert.Equal(["Class_0", "Class_1", "Class_2"], (await scorer.GetInfoAsync()).Labels);
        Assert.Equal("Class_2", result.Label);
        Assert.Equal(["Class_0", "Class_1", "Class_2"], result.Probabilities.Keys.Order());
    }

    [Fact]
    public async Task InputsAreCheckedBeforeTheyAreQueued()
    {
        var engine = new RecordingEngine();
        await using var scorer = new GauBatchingScorer(FakeModels.Regression(engine), new GauScoringOptions { MaxTextLength = 5 }, ownsModel: true);

        await Assert.ThrowsAsync<ArgumentException>(() => scorer.ScoreAsync([new GauInput("甲", "乙")]));
        await Assert.ThrowsAsync<ArgumentException>(() => scorer.ScoreAsync(["甲乙丙丁戊己"]));
        Assert.Empty(await scorer.ScoreAsync([]));
        Assert.Empty(engine.Batches);
    }

    [Fact]
    public async Task DisposeScoresWhatIsQueuedAndRefusesNewRequests()
    {
        var engine = new RecordingEngine { Delay = TimeSpan.FromMilliseconds(20) };
        var scorer = new GauBatchingScorer(FakeModels.Regression(engine), new GauScoringOptions { MaxBatchSize = 2 }, ownsModel: true);
        var pending = Enumerable.Range(0, 6).Select(i => scorer.ScoreAsync([Text(i)])).ToArray();

        await scorer.DisposeAsync();

        await Task.WhenAll(pending).WaitAsync(Patience);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => scorer.ScoreAsync(["甲"]));
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new GauBatchingScorer(new GauScoringOptions()));
        Assert.Throws<ArgumentException>(() => new GauBatchingScorer(new GauScoringOptions { ModelPath = "m.zip", MaxBatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => new GauBatchingScorer(new GauScoringOptions { ModelPath = "m.zip", Task = Tasks.GauTask.Classification }));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached");
            await Task.Delay(5);
        }
    }
}
