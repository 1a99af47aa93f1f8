using GauMLNet.Serving.Tests.Support;
using GauMLNet.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GauMLNet.Serving.Tests;

/// <summary>The scorer over real models, through dependency injection, on both engines.</summary>
[Collection(TrainedModelsCollection.Name)]
public sealed class RealModelScoringTests(TrainedModels models, ITestOutputHelper output)
{
    [Theory]
    [InlineData("torchsharp")]
    [InlineData("onnxruntime")]
    public async Task TheScorerPredictsWhatTheMLNetPipelinePredicts(string engine)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddGauScoring(o =>
        {
            o.ModelPath = models.ClassifierPath;
            o.Engine = engine;
            o.MaxWait = TimeSpan.FromMilliseconds(10);
        });
        await using var provider = services.BuildServiceProvider();
        var scorer = provider.GetRequiredService<IGauScorer>();
        Assert.Same(scorer, provider.GetRequiredKeyedService<IGauScorer>(GauScoring.DefaultName));

        var expected = models.Predict(models.Sentences);
        var actual = await Task.WhenAll(models.Sentences.Select(s => scorer.ClassifyAsync(s))); // concurrent: batched

        var info = await scorer.GetInfoAsync();
        output.WriteLine($"{info.Engine}: {scorer.Statistics}");
        Assert.StartsWith(engine, info.Engine);
        Assert.Equal("classifier", info.ModelId);
        Assert.Equal(GauTask.Classification, info.Task);
        Assert.Equal(expected.Select(e => e.Label), actual.Select(a => a.Label));
        for (int i = 0; i < expected.Length; i++)
            for (int k = 0; k < info.Labels.Count; k++)
                Assert.Equal(expected[i].Score[k], actual[i].Probabilities[info.Labels[k]], 3);
    }

    [Fact]
    public async Task AClassifiersEncoderServesAsAnEmbeddingModelOnBothEngines()
    {
        var vectors = new Dictionary<string, float[][]>();
        foreach (string engine in new[] { "torchsharp", "onnxruntime" })
        {
            await using var scorer = new GauBatchingScorer(new GauScoringOptions { ModelPath = models.ClassifierPath, Engine = engine, Task = GauTask.Embedding });
            var info = await scorer.GetInfoAsync();
            Assert.Equal(GauTask.Embedding, info.Task);
            Assert.Equal(TrainedModels.Config.HiddenSize, info.Outputs);
            vectors[engine] = await scorer.EmbedAsync(models.Sentences);
            Assert.Equal(1f, await scorer.SimilarityAsync(models.Sentences[0], models.Sentences[0]), 4);
        }
        for (int i = 0; i < models.Sentences.Length; i++)
            Assert.True(GauScorerOperations.Cosine(vectors["torchsharp"][i], vectors["onnxruntime"][i]) > 0.9999f);
    }

    [Fact]
    public async Task TheHostWarmsScorersUpAtStartAndReportsModelsThatFailToLoad()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddGauScoring("good", o => o.ModelPath = models.ClassifierPath);
        builder.Services.AddGauScoring("missing", o => o.ModelPath = Path.Combine(models.Directory, "no-such-model.zip"));
        using var host = builder.Build();
        await host.StartAsync();
        var scorers = host.Services.GetRequiredService<IGauScorerProvider>();
        Assert.Equal(["good", "missing"], scorers.Names.Order());

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!(scorers.Get("good").IsReady && scorers.Get("missing").LoadError is not null) && DateTime.UtcNow < deadline) await Task.Delay(50);

        Assert.True(scorers.Get("good").IsReady);
        Assert.IsType<FileNotFoundException>(scorers.Get("missing").LoadError);
        await Assert.ThrowsAsync<FileNotFoundException>(() => scorers.Get("missing").ScoreAsync(["好"]));
        Assert.Throws<InvalidOperationException>(() => scorers.Get("other"));
        await host.StopAsync();
    }
}
