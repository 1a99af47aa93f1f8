using System.Diagnostics;
using System.Text.Json;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Samples;

/// <summary>The sample scripts that build data from ../shared: seeded (same arguments, same bytes) and shaped as documented.</summary>
public class SampleDataScriptTests
{
    private static (string Python, string Shared) Require()
    {
        string shared = TestPaths.RequireShared();
        string? python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists);
        Skip.If(python is null, "python3 is not installed; the sample scripts run on it");
        return (python!, shared);
    }

    private static string Run(string python, string script, params string[] args)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, "samples", script));
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{script} failed: {stderr}");
        return stdout;
    }

    [SkippableFact]
    public void TheLongDocumentTaskIsSeededBalancedAndAsLongAsAsked()
    {
        var (python, shared) = Require();
        string a = TestPaths.NewTempDirectory(), b = TestPaths.NewTempDirectory();
        string[] args = ["--shared", shared, "--train", "20", "--dev", "10", "--min-chars", "3000", "--max-chars", "5000", "--label", "majority", "--seed", "4"];
        using var summary = JsonDocument.Parse(Run(python, "long-documents/make_long_documents.py", [.. args, "--output", a]));
        Run(python, "long-documents/make_long_documents.py", [.. args, "--output", b]);
        foreach (string file in new[] { "train.jsonl", "dev.jsonl" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, file)), File.ReadAllBytes(Path.Combine(b, file)));
        var rows = File.ReadAllLines(Path.Combine(a, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(20, rows.Count);
        Assert.All(rows, r => Assert.InRange(r.GetProperty("text").GetString()!.Length, 3000, 5000 + 255)); // whole segments of 256
        Assert.All(rows.GroupBy(r => r.GetProperty("label").GetString()), g => Assert.Equal(4, g.Count())); // five kinds, balanced
        Assert.InRange(summary.RootElement.GetProperty("label_from_first_2560_chars").GetDouble(), 0.2, 1.0);
    }

    [SkippableFact]
    public void ThePretrainingCorpusIsSeededAndReadsNoDevOrTestSplit()
    {
        var (python, shared) = Require();
        string a = Path.Combine(TestPaths.NewTempDirectory(), "corpus.txt"), b = Path.Combine(TestPaths.NewTempDirectory(), "corpus.txt");
        using var summary = JsonDocument.Parse(Run(python, "few-labels/make_pretraining_corpus.py", "--shared", shared, "--output", a));
        Run(python, "few-labels/make_pretraining_corpus.py", "--shared", shared, "--output", b);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        var lines = File.ReadAllLines(a);
        Assert.Equal(summary.RootElement.GetProperty("texts").GetInt32(), lines.Length);
        Assert.Equal(lines.Length, lines.Distinct(StringComparer.Ordinal).Count());
        var sources = summary.RootElement.GetProperty("per_source").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("fewclue/tnews/unlabeled.json", sources);
        Assert.DoesNotContain(sources, s => s.Contains("dev", StringComparison.Ordinal) || s.Contains("test", StringComparison.Ordinal));
    }
}
