using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GauMLNet.Evaluation;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Evaluation;

/// <summary>CMRC 2018's metric: hand-made cases worked out from its definition, and agreement with the peer's Python copy.</summary>
public sealed class Cmrc2018MetricTests
{
    [Theory]
    [InlineData("长江", new[] { "长江" }, 1, 1.0)]
    [InlineData("长江大桥", new[] { "南京长江大桥" }, 0, 0.8)]           // units 长/江/大/桥 inside 南/京/长/江/大/桥: P 1, R 4/6
    [InlineData("南桥", new[] { "南京长江大桥" }, 0, 2 * 0.5 * (1.0 / 6) / (0.5 + 1.0 / 6))] // a common substring, not a subsequence: lcs 1
    [InlineData("2008年", new[] { "于2008年8月" }, 0, 2 * 1.0 * 0.4 / 1.4)] // 2008 is one unit: 2008/年 in 于/2008/年/8/月, P 2/2, R 2/5
    [InlineData("《三国演义》", new[] { "三国演义" }, 1, 1.0)]               // listed punctuation is ignored by EM and F1
    [InlineData("Hello, World!", new[] { "hello world" }, 0, 1.0)]       // ASCII punctuation: dropped by F1's word split, kept by EM
    [InlineData("Open AI", new[] { "openai" }, 0, 0.0)]                   // words are units: "open", "ai" vs "openai"
    [InlineData("GPU显卡", new[] { "一块gpu显卡" }, 0, 2 * 1.0 * 0.6 / 1.6)]   // gpu/显/卡 in 一/块/gpu/显/卡: P 1, R 3/5
    [InlineData("F-22战机", new[] { "F-22" }, 0, 0.5)]                     // '-' goes before the split: f22/战/机 vs f22, P 1/3, R 1
    [InlineData("上海", new[] { "北京", "上海" }, 1, 1.0)]                  // the best gold answer counts
    [InlineData("\u3000上海 ", new[] { "上海" }, 1, 1.0)]                  // trimmed, ideographic space too
    [InlineData("", new[] { "上海" }, 0, 0.0)]
    [InlineData("，。：", new[] { "上海" }, 0, 0.0)]
    [InlineData("…上海", new[] { "上海" }, 0, 1.0)]                        // a lone '…' is not on the list: EM keeps it, F1 drops it
    public void ScoresHandMadeCases(string prediction, string[] answers, double exact, double f1)
    {
        Assert.Equal(exact, Cmrc2018Metric.ExactMatch(prediction, answers));
        Assert.Equal(f1, Cmrc2018Metric.F1(prediction, answers), 12);
    }

    [Fact]
    public void AveragesOverEveryGoldQuestionAndCountsTheUnanswered()
    {
        var gold = new Dictionary<string, IReadOnlyList<string>>
        {
            ["q1"] = ["长江"],
            ["q2"] = ["南京长江大桥"],
            ["q3"] = ["黄河"], // no prediction: scores 0 and is counted
        };
        var metrics = Cmrc2018Metric.Score(new Dictionary<string, string> { ["q1"] = "长江", ["q2"] = "长江大桥", ["extra"] = "x" }, gold);
        Assert.Equal(3, metrics.Questions);
        Assert.Equal(1, metrics.Unanswered);
        Assert.Equal(100.0 / 3, metrics.ExactMatch, 9);
        Assert.Equal(100 * (1 + 0.8) / 3, metrics.F1, 9);
        Assert.Equal((metrics.ExactMatch + metrics.F1) / 2, metrics.Average, 12);
    }

    [SkippableFact]
    public void AgreesWithThePeersPythonMetricOnGeneratedText()
    {
        string peers = Path.Combine(TestPaths.RequireShared(), "peers");
        Skip.If(!File.Exists(Path.Combine(peers, "qa_bilstm.py")), $"{peers}/qa_bilstm.py is missing");
        string? python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists);
        Skip.If(python is null, "python3 is not installed; the peer's metric runs on it");

        // Mixed pieces: CJK, listed and ASCII punctuation, Latin words in both cases, digits, spaces, full-width forms.
        string[] pieces = ["长", "江", "大", "桥", "南", "京", "《", "》", "，", "。", "-", "、", "…", "AI", "gpu", "Open", "2008", "3.5", " ", "　", "ＡＢ", "１２", "!", "'s", "é"];
        var random = new Random(7);
        string Text() => string.Concat(Enumerable.Range(0, random.Next(0, 7)).Select(_ => pieces[random.Next(pieces.Length)]));
        var cases = Enumerable.Range(0, 400).Select(_ => (Prediction: Text(), Answers: Enumerable.Range(0, random.Next(1, 3)).Select(_ => Text()).ToArray())).ToArray();

        string input = Path.Combine(TestPaths.NewTempDirectory(), "cases.json");
        File.WriteAllText(input, JsonSerializer.Serialize(cases.Select(c => new { p = c.Prediction, g = c.Answers })));
        string script = "import json,sys; sys.path.insert(0, sys.argv[1]); from qa_bilstm import em_score, f1_score; " +
                        "print(json.dumps([[em_score(c['p'], c['g']), f1_score(c['p'], c['g'])] for c in json.load(open(sys.argv[2], encoding='utf-8'))]))";
        var start = new ProcessStartInfo(python!) { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = System.Text.Encoding.UTF8 };
        foreach (var arg in new[] { "-c", script, peers, input }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
        var expected = JsonSerializer.Deserialize<double[][]>(output)!;
        Assert.Equal(cases.Length, expected.Length);
        for (int i = 0; i < cases.Length; i++)
        {
            var (prediction, answers) = cases[i];
            string what = $"case {i}: prediction '{prediction}', gold {string.Join(" | ", answers.Select(a => $"'{a}'"))}";
            Assert.True(expected[i][0] == Cmrc2018Metric.ExactMatch(prediction, answers), $"EM differs on {what}");
            Assert.True(Math.Abs(expected[i][1] - Cmrc2018Metric.F1(prediction, answers)) < 1e-12,
                $"F1 differs on {what}: python {expected[i][1].ToString(CultureInfo.InvariantCulture)}, C# {Cmrc2018Metric.F1(prediction, answers).ToString(CultureInfo.InvariantCulture)}");
        }
    }
}
