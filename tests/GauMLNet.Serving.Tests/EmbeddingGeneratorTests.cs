using System.Collections.Concurrent;
using System.Diagnostics;
using GauMLNet.Serving.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace GauMLNet.Serving.Tests;

/// <summary>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt; over GAU-α embeddings.</summary>
[Collection(TrainedModelsCollection.Name)]
public sealed class EmbeddingGeneratorTests(TrainedModels models)
{
    [Fact]
    public async Task EmbeddingsAreTheTransformersFeaturesWithMetadataAndUsage()
    {
        using var generator = new GauEmbeddingGenerator(models.Embedder, modelId: "gau-tiny");

        var embeddings = await generator.GenerateAsync(models.Sentences);

        var expected = models.Embed(models.Sentences);
        Assert.Equal(models.Sentences.Length, embeddings.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(TrainedModels.Config.HiddenSize, embeddings[i].Dimensions);
            Assert.Equal("gau-tiny", embeddings[i].ModelId);
            Assert.NotNull(embeddings[i].CreatedAt);
            var actual = embeddings[i].Vector.ToArray();
            for (int d = 0; d < actual.Length; d++) Assert.Equal(expected[i][d], actual[d], 4);
        }
        // Usage counts the tokens of the scorer's own tokenization, which ran once per text.
        var model = generator.GetService<GauBatchingScorer>()!.Model!;
        Assert.Equal(models.Sentences.Sum(t => (long)model.Tokenizer.Encode(t, null, model.Spec.MaxLength).Length), embeddings.Usage?.InputTokenCount);
        Assert.Equal(embeddings.Usage?.InputTokenCount, embeddings.Usage?.TotalTokenCount);
        long encoded = model.RowsEncoded;
        await generator.GenerateAsync(models.Sentences[..5]);
        Assert.Equal(encoded + 5, model.RowsEncoded);

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal("GauMLNet", metadata.ProviderName);
        Assert.Equal("gau-tiny", metadata.DefaultModelId);
        Assert.Equal(TrainedModels.Config.HiddenSize, metadata.DefaultModelDimensions);
        Assert.Same(generator, generator.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.NotNull(generator.GetService<IGauScorer>());
    }

    [Fact]
    public async Task ConcurrentCallsShareForwardPassesAndEachCanBeCancelled()
    {
        var options = new GauScoringOptions { MaxWait = TimeSpan.FromMilliseconds(50), MaxBatchSize = 64 };
        using var generator = new GauEmbeddingGenerator(models.Embedder, options: options);
        var scorer = generator.GetService<IGauScorer>()!;

        var calls = models.Sentences.Select(s => Task.Run(() => generator.GenerateVectorAsync(s))).ToArray();
        var vectors = await Task.WhenAll(calls);
        Assert.Equal(models.Sentences.Length, vectors.Length);
        Assert.True(scorer.Statistics.Batches < models.Sentences.Length, $"{scorer.Statistics.Batches} forward passes for {models.Sentences.Length} calls");

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(models.Sentences, cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task OptionsTheModelCannotHonourAreRefused()
    {
        using var generator = new GauEmbeddingGenerator(models.Embedder);
        await Assert.ThrowsAsync<NotSupportedException>(() => generator.GenerateAsync(["好"], new EmbeddingGenerationOptions { Dimensions = 7 }));
        var same = await generator.GenerateAsync(["好"], new EmbeddingGenerationOptions { Dimensions = TrainedModels.Config.HiddenSize });
        Assert.Single(same);

        using var classifier = GauEmbeddingGenerator.Load(models.ClassifierPath); // a classification model is not an embedding model…
        await Assert.ThrowsAsync<InvalidOperationException>(() => classifier.GenerateAsync(["好"]));
        using var encoder = GauEmbeddingGenerator.Load(models.ClassifierPath, o => o.Task = Tasks.GauTask.Embedding); // …but its encoder is
        Assert.Equal(TrainedModels.Config.HiddenSize, (await encoder.GenerateVectorAsync("好")).Length);
    }

    [Fact]
    public async Task OneCallRegistersAGeneratorInDependencyInjection()
    {
        var services = new ServiceCollection();
        services.AddGauEmbeddingGenerator(o => o.ModelPath = models.EmbedderPath);
        await using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var embeddings = await generator.GenerateAsync(models.Sentences[..3]);

        var expected = models.Embed(models.Sentences[..3]);
        Assert.Equal("embedder", generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
        for (int i = 0; i < 3; i++) Assert.True(GauScorerOperations.Cosine(expected[i], embeddings[i].Vector.Span) > 0.9999f);
    }

    [Fact]
    public async Task TheBuilderComposesADistributedCacheAndOpenTelemetry()
    {
        const string source = "GauMLNet.Serving.Tests.EmbeddingPipeline";
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddGauEmbeddingGenerator(o => o.ModelPath = models.EmbedderPath, name: "cached")
            .UseDistributedCache()
            .UseOpenTelemetry(sourceName: source);
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Same(generator, provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>("cached"));
        Assert.NotNull(generator.GetService<DistributedCachingEmbeddingGenerator<string, Embedding<float>>>());
        Assert.NotNull(generator.GetService<OpenTelemetryEmbeddingGenerator<string, Embedding<float>>>());
        var scorer = provider.GetRequiredService<IGauScorerProvider>().Get("cached");

        var first = await generator.GenerateAsync([models.Sentences[0]]);
        Assert.Equal(1, scorer.Statistics.Requests);
        var traced = Assert.Single(activities);
        Assert.Contains("embeddings", traced.DisplayName);
        Assert.Equal("embedder", traced.GetTagItem("gen_ai.request.model") ?? traced.GetTagItem("gen_ai.response.model"));

        var second = await generator.GenerateAsync([models.Sentences[0]]);
        Assert.Equal(1, scorer.Statistics.Requests); // served from the cache: the scorer saw no second request
        Assert.Equal(first[0].Vector.ToArray(), second[0].Vector.ToArray());
        Assert.Single(activities); // the cache sits outside the telemetry: a hit runs nothing below it

        await generator.GenerateAsync([models.Sentences[1]]);
        Assert.Equal(2, scorer.Statistics.Requests);
        Assert.Equal(2, activities.Count);
    }
}
