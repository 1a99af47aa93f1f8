namespace GauMLNet.Serving;

/// <summary>
/// Scores text with one fitted GAU model, safely from any number of threads: concurrent requests are gathered into
/// batches of up to <see cref="GauScoringOptions.MaxBatchSize"/> rows, each scored in one forward pass of the engine.
/// Get one from dependency injection (<c>services.AddGauScoring(o => o.ModelPath = …)</c>) or create a
/// <see cref="GauBatchingScorer"/> yourself.
/// </summary>
public interface IGauScorer
{
    string Name { get; }

    /// <summary>True once the model is loaded and has scored a warm-up batch.</summary>
    bool IsReady { get; }

    /// <summary>Why the model could not be loaded, else null.</summary>
    Exception? LoadError { get; }

    /// <summary>Loads the model (once) and scores a warm-up batch; later calls return the same task.</summary>
    Task WarmUpAsync(CancellationToken cancellationToken = default);

    /// <summary>What the model serves (loads it first if needed).</summary>
    Task<GauScorerInfo> GetInfoAsync(CancellationToken cancellationToken = default);

    /// <summary>What the model serves, or null before it has loaded (never waits for the load).</summary>
    GauScorerInfo? Info { get; }

    GauScorerStatistics Statistics { get; }

    /// <summary>
    /// One output vector per input, in order: class probabilities (classification), [score] (regression) or the
    /// pooled embedding. Throws <see cref="GauScorerOverloadedException"/> when the queue is full and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires before the result is ready.
    /// </summary>
    Task<float[][]> ScoreAsync(IReadOnlyList<GauInput> inputs, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="ScoreAsync"/>, with the pipeline's predicted labels and the token counts when known.</summary>
    Task<GauScores> ScoreDetailedAsync(IReadOnlyList<GauInput> inputs, CancellationToken cancellationToken = default);
}
