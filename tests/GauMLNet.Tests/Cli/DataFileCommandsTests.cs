using System.Text;
using System.Text.Json;
using GauMLNet.Cli;
using GauMLNet.Cli.Failures;
using GauMLNet.MLNet;
using GauMLNet.Tabular;
using GauMLNet.Tests.Support;
using Microsoft.ML;

namespace GauMLNet.Tests.Cli;

/// <summary>A tiny classifier trained once from a generated CSV, shared by the tests that score with it.</summary>
public sealed class CsvModelFixture
{
    public CsvModelFixture()
    {
        Directory = TestPaths.NewTempDirectory();
        TrainFile = Path.Combine(Directory, "reviews.csv");
        DataFileCommandsTests.WriteReviews(TrainFile, 240);
        Train = DataFileCommandsTests.Gau("train", "--data", TrainFile, "--dev-fraction", "0.25", "--seed", "3", "--config", "tiny", "--epochs", "2",
            "--max-length", "24", "--output", Path.Combine(Directory, "model"), "--device", "cpu");
    }

    public string Directory { get; }
    public string TrainFile { get; }
    public string Model => Path.Combine(Directory, "model");
    public (int Code, string Out, string Err) Train { get; }
}

/// <summary>gau train / evaluate / predict on users' CSV, TSV and JSON-lines files, with tiny models.</summary>
public class DataFileCommandsTests(CsvModelFixture trained) : IClassFixture<CsvModelFixture>
{
    private static readonly string[] Positive = ["很好", "喜欢", "满意", "不错", "推荐"];
    private static readonly string[] Negative = ["很差", "讨厌", "失望", "糟糕", "退货"];

    internal static (int Code, string Out, string Err) Gau(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = GauCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>id,text,label,note: reviews whose words say their label; every 7th text has a quoted comma and quotes, every 11th a line break.</summary>
    internal static void WriteReviews(string path, int rows, Func<int, string>? text = null)
    {
        var builder = new StringBuilder("id,text,label,note\n");
        for (int i = 0; i < rows; i++)
        {
            bool positive = i % 2 == 0;
            string words = text?.Invoke(i) ?? "这个东西" + (positive ? Positive : Negative)[i % 5] + (i % 7 == 0 ? "，\"\"真的\"\", 是" : "") + (i % 11 == 0 ? "\n下一行" : "");
            builder.Append($"{i},\"{words}\",{(positive ? "positive" : "negative")},n{i}\n");
        }
        File.WriteAllText(path, builder.ToString(), new UTF8Encoding(false));
    }

    private static List<string[]> ReadRecords(string path)
    {
        using var reader = TabularReader.Open(path, ["1"], hasHeader: false);
        return reader.Rows().Select(r => r.Fields.ToArray()).ToList();
    }

    [Fact]
    public void TrainOnACsvThenPredictKeepsRowOrderAndColumnsAndTheModelLoadsLikeAnyOther()
    {
        Assert.True(trained.Train.Code == 0, trained.Train.Err + trained.Train.Out);
        Assert.Contains("reviews.csv: classification (text 'text', label 'label'); 180 training rows, 60 dev rows (--dev-fraction 0.25, seed 3)", trained.Train.Out);
        Assert.Contains("dev: accuracy", trained.Train.Out);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(trained.Model, "metrics.json"))))
            Assert.Equal("classification", metrics.RootElement.GetProperty("kind").GetString());

        // Loads through LoadGauModel like any model, and records the columns it was trained on.
        var model = new MLContext().Model.LoadGauModel(Path.Combine(trained.Model, "model.zip"), out _);
        var (kind, gau) = TabularModel.Inspect(model);
        Assert.Equal(TabularKind.Classification, kind);
        Assert.Equal("text", gau.Model.Spec.Metadata![TabularModel.TextColumnKey]);

        string input = Path.Combine(TestPaths.NewTempDirectory(), "big.csv");
        WriteReviews(input, 150);
        string scored = Path.Combine(Path.GetDirectoryName(input)!, "scored.csv");
        var predict = Gau("predict", "--input", input, "--model", trained.Model, "--output", scored, "--batch-size", "16");
        Assert.True(predict.Code == 0, predict.Err);
        Assert.Contains("wrote 150 scored rows", predict.Out);

        var inputRows = ReadRecords(input);
        var outputRows = ReadRecords(scored);
        Assert.Equal(["id", "text", "label", "note", "predicted_label", "probability"], outputRows[0]);
        Assert.Equal(inputRows.Count, outputRows.Count);
        for (int i = 0; i < inputRows.Count; i++)
            Assert.Equal(inputRows[i], outputRows[i][..4]); // every input column unchanged, quoting and line breaks included, in input order
        foreach (var row in outputRows.Skip(1))
        {
            Assert.Contains(row[4], new[] { "positive", "negative" });
            Assert.InRange(float.Parse(row[5], System.Globalization.CultureInfo.InvariantCulture), 0.5f, 1f);
        }

        var evaluate = Gau("evaluate", "--data", input, "--model", trained.Model);
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Matches(@"big\.csv \(classification, text 'text', label 'label'\): accuracy [\d.]+ % .* over 150 rows", evaluate.Out);
    }

    [Fact]
    public void APredictionThatFailsMidwayWritesNothingAndSkippingCountsTheBadRows()
    {
        string folder = TestPaths.NewTempDirectory();
        string input = Path.Combine(folder, "bad.csv");
        WriteReviews(input, 600, i => i == 450 ? "" : $"评论{i}很好");
        string scored = Path.Combine(folder, "scored.csv");
        File.WriteAllText(scored, "an earlier result\n");

        var failed = Gau("predict", "--input", input, "--model", trained.Model, "--output", scored, "--batch-size", "32");
        Assert.Equal(ExitCodes.DataError, failed.Code);
        Assert.Equal($"error: {input}:452: column 'text' is empty", failed.Err.Trim()); // line 452: the header, then rows 0…450
        Assert.Equal("an earlier result\n", File.ReadAllText(scored)); // 14 batches were scored, none written over the old file
        Assert.Equal(["bad.csv", "scored.csv"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());

        File.Delete(scored);
        var skipped = Gau("predict", "--input", input, "--model", trained.Model, "--output", scored, "--skip-bad-lines");
        Assert.True(skipped.Code == 0, skipped.Err);
        Assert.Contains($"{input}: skipped 1 bad row(s) (--skip-bad-lines)", skipped.Out);
        var rows = ReadRecords(scored);
        Assert.Equal(600, rows.Count); // the header and 599 rows
        Assert.DoesNotContain(rows, r => r[0] == "450");
    }

    [Fact]
    public void ATsvScoresIntoATsvAndAJsonLinesFileIntoJsonLines()
    {
        string folder = TestPaths.NewTempDirectory();
        string tsv = Path.Combine(folder, "in.tsv");
        File.WriteAllText(tsv, "text\tsource\n这个东西很好\tweb\n这个东西很差\t\"a\tb\"\n");
        var tsvRun = Gau("predict", "--input", tsv, "--model", trained.Model, "--output", Path.Combine(folder, "out.tsv"));
        Assert.True(tsvRun.Code == 0, tsvRun.Err);
        var lines = ReadRecords(Path.Combine(folder, "out.tsv"));
        Assert.Equal(["text", "source", "predicted_label", "probability"], lines[0]);
        Assert.Equal("a\tb", lines[2][1]);

        string jsonl = Path.Combine(folder, "in.jsonl");
        File.WriteAllText(jsonl, "{\"review\": \"这个东西很好\", \"id\": 7, \"tags\": [\"x\"]}\n{\"review\": \"这个东西退货\", \"id\": 8}\n");
        var jsonRun = Gau("predict", "--input", jsonl, "--model", trained.Model, "--output", Path.Combine(folder, "out.jsonl"), "--text-column", "review");
        Assert.True(jsonRun.Code == 0, jsonRun.Err);
        var objects = File.ReadAllLines(Path.Combine(folder, "out.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([7, 8], objects.Select(o => o.GetProperty("id").GetInt32()));
        Assert.Equal("x", objects[0].GetProperty("tags")[0].GetString());
        Assert.All(objects, o => Assert.Contains(o.GetProperty("predicted_label").GetString(), new[] { "positive", "negative" }));
        Assert.All(objects, o => Assert.InRange(o.GetProperty("probability").GetDouble(), 0.5, 1.0));

        var mixed = Gau("predict", "--input", jsonl, "--model", trained.Model, "--output", Path.Combine(folder, "out.csv"), "--text-column", "review");
        Assert.Equal(ExitCodes.Usage, mixed.Code);
        Assert.False(File.Exists(Path.Combine(folder, "out.csv")));
    }

    [Fact]
    public void ASimilarityKindIsInferredFromFractionalLabelsAndScoresPairs()
    {
        string folder = TestPaths.NewTempDirectory();
        string data = Path.Combine(folder, "pairs.jsonl");
        var random = new Random(5);
        var lines = Enumerable.Range(0, 160).Select(i =>
        {
            bool same = i % 2 == 0;
            string a = "天气" + Positive[i % 5];
            return JsonSerializer.Serialize(new { q1 = a, q2 = same ? a : "价格" + Negative[i % 5], sim = same ? 0.9 + random.NextDouble() / 10 : random.NextDouble() / 10 });
        });
        File.WriteAllLines(data, lines);
        var train = Gau("train", "--data", data, "--text-column", "q1", "--text-pair-column", "q2", "--label-column", "sim", "--dev-fraction", "0.2",
            "--config", "tiny", "--epochs", "1", "--max-length", "24", "--output", Path.Combine(folder, "model"), "--device", "cpu");
        Assert.True(train.Code == 0, train.Err + train.Out);
        Assert.Contains("pairs.jsonl: similarity (text 'q1', pair 'q2', label 'sim')", train.Out);
        Assert.Matches(@"dev: Pearson -?[\d.]+, Spearman -?[\d.]+, MSE [\d.]+ over 32 rows", train.Out);

        var evaluate = Gau("evaluate", "--data", data, "--model", Path.Combine(folder, "model"));
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("over 160 rows", evaluate.Out);

        var predict = Gau("predict", "--input", data, "--model", Path.Combine(folder, "model"), "--output", Path.Combine(folder, "scored.jsonl"));
        Assert.True(predict.Code == 0, predict.Err);
        var scored = File.ReadAllLines(Path.Combine(folder, "scored.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(160, scored.Count);
        Assert.All(scored, o => Assert.True(double.IsFinite(o.GetProperty("score").GetDouble())));
        Assert.Equal(JsonDocument.Parse(File.ReadLines(data).First()).RootElement.GetProperty("q2").GetString(), scored[0].GetProperty("q2").GetString());

        // A column the predictions would add is refused up front, not skipped row by row.
        string clash = Path.Combine(folder, "clash.jsonl");
        File.WriteAllText(clash, "{\"q1\": \"a\", \"q2\": \"b\", \"score\": 1}\n");
        var refused = Gau("predict", "--input", clash, "--model", Path.Combine(folder, "model"), "--output", Path.Combine(folder, "clash-scored.jsonl"), "--skip-bad-lines");
        Assert.Equal(ExitCodes.DataError, refused.Code);
        Assert.Contains("already has a property 'score'", refused.Err);
    }

    [Fact]
    public void TwoShardsMergeBackIntoTheUnshardedOutput()
    {
        string folder = TestPaths.NewTempDirectory();
        string input = Path.Combine(folder, "in.csv");
        WriteReviews(input, 101);
        string whole = Path.Combine(folder, "whole.csv");
        Assert.Equal(0, Gau("predict", "--input", input, "--model", trained.Model, "--output", whole).Code);
        var parts = new[] { "0/2", "1/2" }.Select((shard, i) =>
        {
            string part = Path.Combine(folder, $"part{i}.csv");
            var run = Gau("predict", "--input", input, "--model", trained.Model, "--output", part, "--shard", shard, "--batch-size", "16");
            Assert.True(run.Code == 0, run.Err);
            Assert.Contains($"wrote {(i == 0 ? 51 : 50)} scored rows of shard {shard}", run.Out);
            return part;
        }).ToArray();
        Assert.Equal(["1", "3", "5"], ReadRecords(parts[1]).Skip(1).Take(3).Select(r => r[0])); // rows whose position % 2 == 1

        string merged = Path.Combine(folder, "merged.csv");
        var merge = Gau("merge-shards", parts[0], parts[1], "--output", merged);
        Assert.True(merge.Code == 0, merge.Err);
        Assert.Contains("merged 2 shards: 101 rows", merge.Out);
        var expected = ReadRecords(whole);
        var actual = ReadRecords(merged);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i][..5], actual[i][..5]); // input columns and predicted label
            if (i > 0) Assert.Equal(double.Parse(expected[i][5], System.Globalization.CultureInfo.InvariantCulture), double.Parse(actual[i][5], System.Globalization.CultureInfo.InvariantCulture), 1e-4);
        }

        var swapped = Gau("merge-shards", parts[1], parts[0], "--output", Path.Combine(folder, "swapped.csv"));
        Assert.Equal(ExitCodes.DataError, swapped.Code);
        Assert.Contains("are these shards of one file, in shard order?", swapped.Err);
        Assert.False(File.Exists(Path.Combine(folder, "swapped.csv")));

        Assert.Equal(ExitCodes.Usage, Gau("predict", "--input", input, "--model", trained.Model, "--output", merged, "--shard", "2/2").Code);
        var skip = Gau("predict", "--input", input, "--model", trained.Model, "--output", merged, "--shard", "0/2", "--skip-bad-lines");
        Assert.Equal(ExitCodes.Usage, skip.Code);
        Assert.Contains("--shard does not combine with --skip-bad-lines", skip.Err);
    }

    [Fact]
    public void BadFilesAndArgumentsGetMessagesNamingWhatIsWrong()
    {
        string folder = TestPaths.NewTempDirectory();
        string csv = Path.Combine(folder, "r.csv");
        File.WriteAllText(csv, "review,stars\n好,5\n差,\n");

        var missing = Gau("train", "--data", csv, "--output", folder);
        Assert.Equal(ExitCodes.DataError, missing.Code);
        Assert.Equal($"error: {csv}: there is no column 'text'; the columns are: 'review', 'stars'.", LastLine(missing.Err));

        var empty = Gau("train", "--data", csv, "--text-column", "review", "--label-column", "stars", "--output", folder);
        Assert.Equal(ExitCodes.DataError, empty.Code);
        Assert.Equal($"error: {csv}:3: column 'stars' is empty", LastLine(empty.Err));

        var kind = Gau("train", "--data", csv, "--text-column", "review", "--text-pair-column", "stars", "--kind", "classification");
        Assert.Equal(ExitCodes.Usage, kind.Code);
        Assert.Contains("--kind pair", kind.Err);

        var both = Gau("train", "--data", csv, "--dev", csv, "--dev-fraction", "0.1");
        Assert.Equal(ExitCodes.Usage, both.Code);
        Assert.Contains("--dev and --dev-fraction", both.Err);

        var noTask = Gau("train", "--data", folder);
        Assert.Equal(ExitCodes.Usage, noTask.Code);
        Assert.Contains("train needs --task", noTask.Err);

        var wrongKind = Gau("predict", "--input", Path.Combine(folder, "r.xlsx"), "--model", trained.Model, "--output", "x.csv");
        Assert.Equal(ExitCodes.Usage, wrongKind.Code);
        Assert.Contains("is not a .csv, .tsv (.tab) or .jsonl (.ndjson) file", wrongKind.Err);
    }

    // A training command's stderr opens with the process-settings notice; the error is its last line.
    private static string LastLine(string text) => text.Trim().Split('\n')[^1].Trim();
}
