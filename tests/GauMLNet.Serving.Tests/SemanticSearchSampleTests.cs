using System.Diagnostics;
using System.Text.Json;
using GauMLNet.Serving.Tests.Support;

namespace GauMLNet.Serving.Tests;

/// <summary>samples/SemanticSearch ranks documents by the cosine of their GAU-α embeddings to the query.</summary>
[Collection(TrainedModelsCollection.Name)]
public sealed class SemanticSearchSampleTests(TrainedModels models, ITestOutputHelper output)
{
    [Fact]
    public async Task TheQueryItselfRanksFirstAndScoresDescend()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/{Configuration}/net10.0/
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "GauMLNet.sln"))) root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        string sample = Path.Combine(root, "samples", "SemanticSearch", "bin", configuration, "net10.0", "SemanticSearch.dll");
        Assert.True(File.Exists(sample), $"{sample} is missing: build the solution first");

        string documents = Path.Combine(models.Directory, "documents.json");
        File.WriteAllLines(documents, models.Sentences.Select((s, i) => JsonSerializer.Serialize(new { sentence = s, label = $"doc{i}" })));
        string query = models.Sentences[5];
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { sample, models.ClassifierPath, query, documents, "4" }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine(stdout + await stderr);
        Assert.Equal(0, process.ExitCode);

        var hits = stdout.Split('\n').SkipWhile(l => !l.StartsWith("top 4", StringComparison.Ordinal)).Skip(1).Where(l => l.Trim().Length > 0)
            .Select(l => l.Trim().Split("  ")).ToArray();
        Assert.Equal(4, hits.Length);
        Assert.Equal("1.000", hits[0][0]);
        Assert.Equal("doc5", hits[0][1]);
        var scores = hits.Select(h => double.Parse(h[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.OrderByDescending(s => s), scores);
    }
}
