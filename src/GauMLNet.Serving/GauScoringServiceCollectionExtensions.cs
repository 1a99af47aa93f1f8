using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GauMLNet.Serving;

/// <summary>Names and defaults of GauMLNet's scoring services.</summary>
public static class GauScoring
{
    /// <summary>The scorer that <c>AddGauScoring(configure)</c> registers and <see cref="IGauScorer"/> resolves to.</summary>
    public const string DefaultName = "default";
}

/// <summary>
/// <c>services.AddGauScoring(o => o.ModelPath = "model.zip")</c>: one call registers a batching <see cref="IGauScorer"/>
/// (a singleton, disposed with the container), its options, and a hosted service that loads and warms it up when the
/// host starts. Several models: give each a name (<c>AddGauScoring("embed", …)</c>) and resolve it with
/// <c>[FromKeyedServices("embed")] IGauScorer</c> or <see cref="IGauScorerProvider"/>.
/// </summary>
public static class GauScoringServiceCollectionExtensions
{
    public static IServiceCollection AddGauScoring(this IServiceCollection services, Action<GauScoringOptions> configure) =>
        services.AddGauScoring(GauScoring.DefaultName, configure);

    public static IServiceCollection AddGauScoring(this IServiceCollection services, string name, Action<GauScoringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<GauScoringOptions>(name).Configure(configure);
        services.AddSingleton(new GauScorerRegistration(name));
        services.TryAddSingleton<IGauScorerProvider, GauScorerProvider>();
        services.AddKeyedSingleton<IGauScorer>(name, static (sp, key) => sp.GetRequiredService<IGauScorerProvider>().Get((string)key!));
        if (name == GauScoring.DefaultName)
            services.TryAddSingleton<IGauScorer>(static sp => sp.GetRequiredService<IGauScorerProvider>().Get(GauScoring.DefaultName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, GauScoringWarmUp>());
        return services;
    }

    /// <summary>
    /// Registers <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> over a GAU embedding model (a scorer named
    /// <paramref name="name"/>, added here), batching concurrent calls like any scorer; keyed by <paramref name="name"/>, and
    /// unkeyed unless another generator is. Returns Microsoft.Extensions.AI's builder, so the pipeline composes:
    /// <c>services.AddGauEmbeddingGenerator(…).UseDistributedCache().UseOpenTelemetry()</c>.
    /// </summary>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> AddGauEmbeddingGenerator(this IServiceCollection services, Action<GauScoringOptions> configure,
        string name = "embeddings")
    {
        services.AddGauScoring(name, configure);
        var builder = services.AddKeyedEmbeddingGenerator(name,
            sp => new GauEmbeddingGenerator(sp.GetRequiredService<IGauScorerProvider>().Get(name)));
        services.TryAddSingleton(sp => sp.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(name));
        return builder;
    }
}

/// <summary>The scorers registered with <c>AddGauScoring</c>, by name.</summary>
public interface IGauScorerProvider
{
    IReadOnlyList<string> Names { get; }

    /// <summary>The scorer registered under <paramref name="name"/> (created on first request).</summary>
    IGauScorer Get(string name);
}

internal sealed record GauScorerRegistration(string Name);

internal sealed class GauScorerProvider(IEnumerable<GauScorerRegistration> registrations, IOptionsMonitor<GauScoringOptions> options,
    ILoggerFactory? loggerFactory = null) : IGauScorerProvider, IAsyncDisposable, IDisposable
{
    private readonly Dictionary<string, Lazy<GauBatchingScorer>> _scorers = registrations.Select(r => r.Name).Distinct(StringComparer.Ordinal)
        .ToDictionary(n => n, n => new Lazy<GauBatchingScorer>(() =>
            new GauBatchingScorer(options.Get(n), n, loggerFactory?.CreateLogger("GauMLNet.Serving"))), StringComparer.Ordinal);

    public IReadOnlyList<string> Names => [.. _scorers.Keys];

    public IGauScorer Get(string name) => _scorers.TryGetValue(name, out var scorer)
        ? scorer.Value
        : throw new InvalidOperationException($"No GAU scorer named '{name}' is registered (registered: {string.Join(", ", _scorers.Keys)}).");

    public async ValueTask DisposeAsync()
    {
        foreach (var scorer in _scorers.Values.Where(s => s.IsValueCreated)) await scorer.Value.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Starts each scorer's shutdown without waiting (see <see cref="GauBatchingScorer.Dispose"/>); prefer DisposeAsync.</summary>
    public void Dispose()
    {
        foreach (var scorer in _scorers.Values.Where(s => s.IsValueCreated)) scorer.Value.Dispose();
    }
}

/// <summary>Starts loading every scorer whose options say WarmUpOnStart, without holding up the host's start.</summary>
internal sealed class GauScoringWarmUp(IGauScorerProvider provider, IOptionsMonitor<GauScoringOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (string name in provider.Names.Where(n => options.Get(n).WarmUpOnStart))
            _ = provider.Get(name).WarmUpAsync(CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default); // failures show in IsReady / LoadError
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
