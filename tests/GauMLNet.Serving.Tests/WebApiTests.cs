using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GauMLNet.Serving.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GauMLNet.Serving.Tests;

/// <summary>samples/WebApi over the in-memory test server, scoring a real model with ONNX Runtime as the sample is configured.</summary>
[Collection(TrainedModelsCollection.Name)]
public sealed class WebApiTests(TrainedModels models) : IDisposable
{
    private readonly WebApplicationFactory<Program> _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
        .UseSetting("Gau:Classify:ModelPath", models.ClassifierPath)
        .UseSetting("Gau:Embed:ModelPath", models.ClassifierPath)
        .UseSetting("Gau:MaxTextsPerRequest", "16"));

    public void Dispose() => _factory.Dispose();

    private async Task<HttpClient> ReadyClient()
    {
        var client = _factory.CreateClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        HttpResponseMessage ready;
        while ((ready = await client.GetAsync("/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, await ready.Content.ReadAsStringAsync());
            await Task.Delay(100);
        }
        return client;
    }

    [Fact]
    public async Task HealthAndReadiness()
    {
        var client = _factory.CreateClient();
        var health = await client.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());

        client = await ReadyClient();
        var ready = await client.GetFromJsonAsync<JsonElement>("/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        var states = ready.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("state").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["classify"] = "ready", ["embed"] = "ready" }, states);
        Assert.All(ready.GetProperty("models").EnumerateArray(), m => Assert.StartsWith("onnxruntime", m.GetProperty("engine").GetString()));
        Assert.Contains("2 GAU scorer(s) ready", ready.GetProperty("description").GetString());
        // The fixture's classifier is a pipeline (MapValueToKey(Label) → GAU → MapKeyToValue): served whole.
        var classify = ready.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "classify");
        Assert.Equal(["ValueToKeyMappingTransformer", "GauTextClassificationTransformer", "KeyToValueMappingTransformer"],
            classify.GetProperty("transforms").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task ReadinessIsTheHealthCheckAndAModelThatFailsToLoadIsNotReady()
    {
        using var broken = _factory.WithWebHostBuilder(b => b.UseSetting("Gau:Embed:ModelPath", Path.Combine(models.Directory, "no-such-model.zip")));
        var client = broken.CreateClient();
        var scorers = broken.Services.GetRequiredService<IGauScorerProvider>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (scorers.Get("embed").LoadError is null || !scorers.Get("classify").IsReady)
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(50);
        }
        var ready = await client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("not ready", body.GetProperty("status").GetString());
        Assert.Contains("'embed' failed to load", body.GetProperty("description").GetString());
        Assert.Contains("no-such-model.zip", body.GetProperty("description").GetString());
        var states = body.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("state").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["classify"] = "ready", ["embed"] = "failed" }, states);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode); // the process is up
    }

    [Fact]
    public async Task TheScorersMetricsAreObservedAndExported()
    {
        using var recorder = new TelemetryRecorder(GauMLNet.Samples.WebApi.ScoringApi.Classify);
        var client = await ReadyClient();
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            client.PostAsJsonAsync("/classify", new { texts = models.Sentences[..(1 + i % 3)] })));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        Assert.Equal(12, recorder.Values("gaumlnet.serving.requests").Sum());
        Assert.Equal(Enumerable.Range(0, 12).Sum(i => 1 + i % 3), recorder.Values("gaumlnet.serving.rows").Sum());
        Assert.Equal(12, recorder.Values("gaumlnet.serving.request.duration").Length);
        Assert.Equal(recorder.Values("gaumlnet.serving.rows").Sum(), recorder.Values("gaumlnet.serving.batch.size").Sum());
        Assert.NotEmpty(recorder.Spans);

        // The sample's OpenTelemetry pipeline exports the same instruments to Prometheus.
        string metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("gaumlnet_serving_requests", metrics);
        Assert.Contains("gaumlnet_serving_request_duration_seconds_bucket", metrics);
        Assert.Contains("gaumlnet_scorer_name=\"classify\"", metrics);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheEndpoints()
    {
        var client = _factory.CreateClient();
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/classify", paths);
        Assert.Contains("/embed", paths);
        Assert.Contains("/similarity", paths);
        Assert.True(document.GetProperty("paths").GetProperty("/classify").TryGetProperty("post", out _));
    }

    [Fact]
    public async Task ClassifyAnswersWhatTheTrainedPipelinePredicts()
    {
        var client = await ReadyClient();
        var response = await client.PostAsJsonAsync("/classify", new { texts = models.Sentences[..8] });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("classifier", body.GetProperty("model").GetString());
        var labels = body.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("label").GetString()).ToArray();
        Assert.Equal(models.Predict(models.Sentences[..8]).Select(p => p.Label), labels);
        var first = body.GetProperty("predictions")[0];
        Assert.Equal(1.0, first.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 3);

        var single = await client.PostAsJsonAsync("/classify", new { text = models.Sentences[0] });
        Assert.Equal(labels[0], (await single.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("predictions")[0].GetProperty("label").GetString());
    }

    [Fact]
    public async Task EmbedAndSimilarity()
    {
        var client = await ReadyClient();
        var embed = await (await client.PostAsJsonAsync("/embed", new { texts = models.Sentences[..3] })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(TrainedModels.Config.HiddenSize, embed.GetProperty("dimensions").GetInt32());
        Assert.Equal(3, embed.GetProperty("embeddings").GetArrayLength());
        Assert.All(embed.GetProperty("embeddings").EnumerateArray(), v => Assert.Equal(TrainedModels.Config.HiddenSize, v.GetArrayLength()));

        var same = await (await client.PostAsJsonAsync("/similarity", new { text1 = models.Sentences[0], text2 = models.Sentences[0] })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1.0, same.GetProperty("similarity").GetDouble(), 3);
        var other = await (await client.PostAsJsonAsync("/similarity", new { text1 = models.Sentences[0], text2 = models.Sentences[1] })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.InRange(other.GetProperty("similarity").GetDouble(), -1.0, 1.0);
    }

    [Fact]
    public async Task BadRequestsGetProblemDetails()
    {
        var client = await ReadyClient();
        foreach (var (path, body) in new (string, object)[]
        {
            ("/classify", new { }),
            ("/classify", new { texts = Enumerable.Repeat("好", 17).ToArray() }),
            ("/embed", new { texts = Array.Empty<string>() }),
            ("/similarity", new { text1 = "好" }),
        })
        {
            var response = await client.PostAsJsonAsync(path, body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public void TheSampleShipsNoLibtorch()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/{Configuration}/net10.0/
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "GauMLNet.sln"))) root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        string output = Path.Combine(root, "samples", "WebApi", "bin", configuration, "net10.0");
        var files = Directory.GetFiles(output, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("GauMLNet.Serving.dll", files);
        Assert.Contains("GauMLNet.Onnx.dll", files);
        Assert.DoesNotContain(files, f => f!.Contains("torch", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ConcurrentRequestsAreBatched()
    {
        var client = await ReadyClient();
        var responses = await Task.WhenAll(Enumerable.Range(0, 48).Select(i =>
            client.PostAsJsonAsync("/classify", new { text = models.Sentences[i % models.Sentences.Length] })));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var stats = _factory.Services.GetRequiredService<IGauScorerProvider>().Get("classify").Statistics;
        Assert.True(stats.Batches < stats.Requests, $"{stats.Batches} forward passes for {stats.Requests} requests");
    }
}
