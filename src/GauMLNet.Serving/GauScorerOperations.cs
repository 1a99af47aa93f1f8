using System.Numerics.Tensors;
using GauMLNet.Scoring;
using GauMLNet.Tasks;

namespace GauMLNet.Serving;

/// <summary>Typed calls over <see cref="IGauScorer.ScoreAsync"/>: classify, embed, score pairs, compare texts.</summary>
public static class GauScorerOperations
{
    public static async Task<GauClassification> ClassifyAsync(this IGauScorer scorer, string text, CancellationToken cancellationToken = default) =>
        (await scorer.ClassifyAsync([text], cancellationToken).ConfigureAwait(false))[0];

    public static async Task<GauClassification[]> ClassifyAsync(this IGauScorer scorer, IReadOnlyList<GauInput> inputs, CancellationToken cancellationToken = default)
    {
        var info = await Require(scorer, GauTask.Classification, "classification", cancellationToken).ConfigureAwait(false);
        var scores = await scorer.ScoreDetailedAsync(inputs, cancellationToken).ConfigureAwait(false);
        return [.. scores.Values.Select((p, i) =>
        {
            int best = GauTaskModel.ArgMax(p);
            var probabilities = new Dictionary<string, float>(p.Length, StringComparer.Ordinal);
            for (int k = 0; k < p.Length; k++) probabilities[info.Labels[k]] = p[k];
            // A saved pipeline's own label (e.g. after MapKeyToValue) is what model.Transform would answer.
            return new GauClassification(scores.Labels?[i] ?? info.Labels[best], p[best], probabilities);
        })];
    }

    /// <summary>The pooled GAU-α embedding of each text.</summary>
    public static async Task<float[][]> EmbedAsync(this IGauScorer scorer, IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        await Require(scorer, GauTask.Embedding, "embedding", cancellationToken).ConfigureAwait(false);
        return await scorer.ScoreAsync([.. texts.Select(t => new GauInput(t))], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// How similar two texts are: a sentence-similarity (regression) model's score of the pair, or the cosine of an
    /// embedding model's two embeddings.
    /// </summary>
    public static async Task<float> SimilarityAsync(this IGauScorer scorer, string text1, string text2, CancellationToken cancellationToken = default)
    {
        var info = await scorer.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        switch (info.Task)
        {
            case GauTask.Regression when info.Inputs == 2:
                return (await scorer.ScoreAsync([new GauInput(text1, text2)], cancellationToken).ConfigureAwait(false))[0][0];
            case GauTask.Embedding:
                var vectors = await scorer.ScoreAsync([text1, text2], cancellationToken).ConfigureAwait(false);
                return Cosine(vectors[0], vectors[1]);
            default:
                throw new InvalidOperationException(
                    $"GAU scorer '{scorer.Name}' serves a {info.Task.ToString().ToLowerInvariant()} model; similarity needs a sentence-pair regression model or an embedding model.");
        }
    }

    /// <summary>Cosine similarity (0 when either vector is all zeros, where the platform's would be NaN).</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Vectors of {a.Length} and {b.Length} dimensions.");
        return TensorPrimitives.Norm(a) == 0 || TensorPrimitives.Norm(b) == 0 ? 0f : TensorPrimitives.CosineSimilarity(a, b);
    }

    private static async Task<GauScorerInfo> Require(IGauScorer scorer, GauTask task, string what, CancellationToken cancellationToken)
    {
        var info = await scorer.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        if (info.Task != task)
            throw new InvalidOperationException($"GAU scorer '{scorer.Name}' serves a {info.Task.ToString().ToLowerInvariant()} model, not {what}.");
        return info;
    }
}
