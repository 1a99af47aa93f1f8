using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GauMLNet.Serving.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GauMLNet.Serving.Tests;

/// <summary>
/// Issue #30: samples/WebApi's request bodies are untrusted input. Hostile and seeded-corrupted bodies for /classify, /embed and
/// /similarity (bad JSON, wrong types, nulls, lone surrogates, control characters, huge and empty texts, wrong content types)
/// get an answer or a 4xx, never a 5xx (a server error is a bug, or a denial of service), and the server keeps serving.
/// </summary>
[Collection(TrainedModelsCollection.Name)]
public sealed class DamagedRequestBodyTests(TrainedModels models, ITestOutputHelper output) : IDisposable
{
    private readonly WebApplicationFactory<Program> _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
        .UseSetting("Gau:Classify:ModelPath", models.ClassifierPath)
        .UseSetting("Gau:Embed:ModelPath", models.ClassifierPath)
        .UseSetting("Gau:MaxTextsPerRequest", "16"));

    public void Dispose() => _factory.Dispose();

    private static readonly string[] Hostile =
    [
        "", "null", "[]", "{}", "\"text\"", "42", "{", "{\"text\":", "{\"text\": null}", "{\"texts\": null}", "{\"texts\": [null]}",
        "{\"texts\": [\"好\", null]}", "{\"text\": 1}", "{\"text\": [\"好\"]}", "{\"text\": {}}", "{\"texts\": \"好\"}", "{\"texts\": [1, 2]}",
        "{\"texts\": [[\"好\"]]}", "{\"text\": \"\"}", "{\"texts\": [\"\"]}", "{\"text\": \"\\ud800\"}", "{\"text\": \"\\udc00好\\ud83d\"}",
        "{\"text\": \"\\u0000\\u0001\\u001f\"}", "{\"text\": \"好\", \"text\": 3}", "{\"text1\": \"好\", \"text2\": null}", "{\"text1\": 1, \"text2\": 2}",
        "{\"text1\": \"\", \"text2\": \"\"}", "{\"text1\": \"\\ud800\", \"text2\": \"\\udfff\"}", "{\"Text\": \"好\"}", "{\"TEXTS\": [\"好\"]}",
        "{\"text\": \"" + new string('长', 20000) + "\"}", "{\"texts\": [" + string.Join(",", Enumerable.Repeat("\"好\"", 17)) + "]}",
        "{\"text\": 1e400}", "{\"texts\": [\"好\"], \"extra\": {\"deep\": " + new string('[', 2000) + new string(']', 2000) + "}}",
        "\uFEFF{\"text\": \"好\"}", "{\"text\": \"好\"} trailing", "{\"text\": \"好\",}",
    ];

    [Fact]
    public async Task HostileAndCorruptedBodiesGetAnAnswerOrA4xxNeverA5xx()
    {
        var client = _factory.CreateClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while ((await client.GetAsync("/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the sample did not become ready");
            await Task.Delay(100);
        }
        var random = new Random(30);
        var bodies = new List<(string Path, byte[] Body, string ContentType, string What)>();
        foreach (string path in new[] { "/classify", "/embed", "/similarity" })
        {
            foreach (string body in Hostile) bodies.Add((path, Encoding.UTF8.GetBytes(body), "application/json", body.Length > 60 ? body[..60] + "…" : body));
            bodies.Add((path, Encoding.UTF8.GetBytes("{\"text\": \"好\"}"), "text/plain", "text/plain content type"));
            bodies.Add((path, [0xff, 0xfe, .. "{\"text\": \"好\"}"u8], "application/json", "invalid UTF-8"));
            // Seeded byte corruptions of valid bodies.
            byte[] valid = path == "/similarity" ? "{\"text1\": \"今天天气很好\", \"text2\": \"天气不错\"}"u8.ToArray() : "{\"texts\": [\"今天天气很好\", \"服务太差了\"], \"text\": \"好\"}"u8.ToArray();
            for (int i = 0; i < 40; i++)
            {
                var bytes = (byte[])valid.Clone();
                int at = random.Next(bytes.Length);
                string what;
                switch (random.Next(3))
                {
                    case 0: bytes[at] ^= (byte)random.Next(1, 256); what = $"byte {at} flipped"; break;
                    case 1: bytes = bytes[..at]; what = $"truncated at {at}"; break;
                    default: bytes = [.. bytes[..at], .. bytes[random.Next(at, bytes.Length)..]]; what = $"bytes removed at {at}"; break;
                }
                bodies.Add((path, bytes, "application/json", what));
            }
        }
        var failures = new List<string>();
        var outcomes = new Dictionary<int, int>();
        foreach (var (path, body, contentType, what) in bodies)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            using var response = await client.PostAsync(path, content);
            int status = (int)response.StatusCode;
            outcomes[status] = outcomes.GetValueOrDefault(status) + 1;
            if (status >= 500) failures.Add($"{path} {what}: {status} {await response.Content.ReadAsStringAsync()}");
        }
        output.WriteLine($"{bodies.Count} bodies: " + string.Join(", ", outcomes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} × {kv.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        // Still serving.
        var after = await client.PostAsync("/classify", new StringContent("{\"text\": \"很好\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
