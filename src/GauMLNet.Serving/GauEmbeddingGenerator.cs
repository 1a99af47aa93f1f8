using GauMLNet.MLNet;
using GauMLNet.Tasks;
using Microsoft.Extensions.AI;

namespace GauMLNet.Serving;

/// <summary>
/// <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> (Microsoft.Extensions.AI) over a GAU-α embedding model:
/// the pooled hidden state of each text. Calls go through an <see cref="IGauScorer"/>, so concurrent calls are batched
/// into shared forward passes and each call's cancellation token is honoured. Metadata: provider "GauMLNet", the
/// model id and its dimensions (<c>GetService&lt;EmbeddingGeneratorMetadata&gt;()</c>). Usage counts input tokens, from the scorer's
/// one tokenization.
/// </summary>
public sealed class GauEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly IGauScorer _scorer;
    private readonly bool _ownsScorer;
    private readonly string? _modelId;
    private EmbeddingGeneratorMetadata? _metadata;

    /// <summary>A generator over a scorer of an embedding model (owned by the caller unless <paramref name="ownsScorer"/>).</summary>
    public GauEmbeddingGenerator(IGauScorer scorer, string? modelId = null, bool ownsScorer = false)
    {
        _scorer = scorer ?? throw new ArgumentNullException(nameof(scorer));
        _modelId = modelId;
        _ownsScorer = ownsScorer;
    }

    /// <summary>A generator over a fitted <c>GauTextEmbedding</c> transformer (the transformer stays the caller's to dispose).</summary>
    public GauEmbeddingGenerator(GauTextEmbeddingTransformer transformer, string? modelId = null, GauScoringOptions? options = null)
        : this(new GauBatchingScorer(transformer?.Model ?? throw new ArgumentNullException(nameof(transformer)), options, "embeddings", ownsModel: false),
            modelId, ownsScorer: true)
    {
    }

    /// <summary>A generator that loads an embedding model (an ML.NET .zip or a model directory) and owns it.</summary>
    public static GauEmbeddingGenerator Load(string modelPath, Action<GauScoringOptions>? configure = null)
    {
        var options = new GauScoringOptions { ModelPath = modelPath };
        configure?.Invoke(options);
        return new GauEmbeddingGenerator(new GauBatchingScorer(options, "embeddings"), options.ModelId, ownsScorer: true);
    }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var info = await _scorer.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        if (info.Task != GauTask.Embedding)
            throw new InvalidOperationException($"GAU scorer '{_scorer.Name}' serves a {info.Task.ToString().ToLowerInvariant()} model, not embeddings.");
        if (options?.Dimensions is int dimensions && dimensions != info.Outputs)
            throw new NotSupportedException($"This GAU-α model embeds in {info.Outputs} dimensions; {dimensions} were asked for.");
        string modelId = _modelId ?? info.ModelId;
        if (options?.ModelId is { } asked && asked != modelId)
            throw new NotSupportedException($"This generator serves model '{modelId}', not '{asked}'.");

        var texts = values as IReadOnlyList<string> ?? [.. values];
        var scores = await _scorer.ScoreDetailedAsync([.. texts.Select(t => new GauInput(t ?? ""))], cancellationToken).ConfigureAwait(false);
        var created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(scores.Values.Select(v => new Embedding<float>(v) { ModelId = modelId, CreatedAt = created }));
        if (scores.Tokens is { } tokens) // the scorer's own tokenization: counted, not repeated
        {
            long total = tokens.Sum(t => (long)t);
            result.Usage = new UsageDetails { InputTokenCount = total, TotalTokenCount = total };
        }
        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(_scorer)) return _scorer;
        return null;
    }

    /// <summary>
    /// Provider "GauMLNet", the model id and dimensions. Never waits for the model: before it has loaded, the dimensions are
    /// unknown (null) and the model id is the one given, if any.
    /// </summary>
    public EmbeddingGeneratorMetadata Metadata
    {
        get
        {
            if (_metadata is not null) return _metadata;
            if (_scorer.Info is not { } info) return new EmbeddingGeneratorMetadata("GauMLNet", providerUri: null, defaultModelId: _modelId);
            return _metadata = new EmbeddingGeneratorMetadata("GauMLNet", providerUri: null, defaultModelId: _modelId ?? info.ModelId, defaultModelDimensions: info.Outputs);
        }
    }

    public void Dispose()
    {
        if (_ownsScorer && _scorer is IDisposable disposable) disposable.Dispose();
    }
}
