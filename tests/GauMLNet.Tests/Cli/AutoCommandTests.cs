using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Tests.Support;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Cli;

/// <summary>gau auto: candidates cross-validated on the same folds, the winner refit and saved, the leaderboard written, and evaluate/predict on it.</summary>
public class AutoCommandTests(ITestOutputHelper output)
{
    private static (int Code, string Out, string Err) Gau(params string[] args) => DataFileCommandsTests.Gau(args);

    // The bundled sentiment sample cut to 80 training and 40 dev rows, so three candidates cross-validate in seconds.
    private static string SmallSentimentFolder()
    {
        string dir = TestPaths.NewTempDirectory(), source = Path.Combine(TestPaths.RepositoryRoot, "samples", "data", "sentiment");
        File.WriteAllLines(Path.Combine(dir, "train.json"), File.ReadLines(Path.Combine(source, "train.json")).Take(80));
        File.WriteAllLines(Path.Combine(dir, "dev.json"), File.ReadLines(Path.Combine(source, "dev.json")).Take(40));
        File.WriteAllLines(Path.Combine(dir, "test.json"), File.ReadLines(Path.Combine(source, "test.json")).Take(10));
        return dir;
    }

    // The tiny fixture's weights with a vocabulary of the sample's characters, filled up to its 300 ids.
    private static string TinyEncoder(string data)
    {
        string dir = TestPaths.NewTempDirectory();
        foreach (string file in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(TestPaths.TinyModel, file), Path.Combine(dir, file));
        var chars = File.ReadAllText(Path.Combine(data, "train.json")).Where(c => c > 0x2E80).GroupBy(c => c).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .Select(g => g.Key.ToString()).Take(295);
        var vocab = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        vocab.AddRange(chars);
        vocab.AddRange(Enumerable.Range(vocab.Count, 300 - vocab.Count).Select(i => $"unused{i}"));
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), vocab);
        return dir;
    }

    [Fact]
    public void AutoCrossValidatesEveryCandidateAndWhatItChoosesEvaluatesAndPredicts()
    {
        string data = SmallSentimentFolder(), outDir = Path.Combine(TestPaths.NewTempDirectory(), "auto");
        var auto = Gau("auto", "--task", "eprstmt", "--data", data, "--folds", "2", "--encoder", TinyEncoder(data), "--epochs", "1",
            "--learning-rate", "5e-4", "--batch-size", "16", "--max-length", "32", "--seed", "1", "--device", "cpu", "--output", outDir);
        output.WriteLine(auto.Out);
        Assert.True(auto.Code == 0, auto.Err);

        using var board = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "leaderboard.json")));
        var root = board.RootElement;
        Assert.Equal(2, root.GetProperty("folds").GetInt32());
        Assert.Equal(80, root.GetProperty("train_rows").GetInt32());
        Assert.Equal(40, root.GetProperty("dev_rows").GetInt32());
        var candidates = root.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(["char-ngrams", "hybrid", "gau-fine-tuned", "gau-from-scratch", "ensemble"], candidates.Select(c => c.GetProperty("name").GetString()));
        foreach (var c in candidates)
        {
            Assert.Equal("Completed", c.GetProperty("status").GetString());
            var folds = c.GetProperty("fold_accuracies").EnumerateArray().Select(f => f.GetDouble()).ToList();
            Assert.Equal(2, folds.Count);
            Assert.Equal(folds.Average(), c.GetProperty("cv_mean").GetDouble(), 5);
            Assert.InRange(c.GetProperty("dev_accuracy").GetDouble(), 0, 1);
            Assert.True(c.GetProperty("model_bytes").GetInt64() > 0);
        }
        Assert.Contains("learning rate 0.0005", candidates[2].GetProperty("description").GetString());
        Assert.DoesNotContain("from scratch", candidates[2].GetProperty("description").GetString());
        Assert.Contains("(from scratch, 4 layers of d 128, 1 epochs, learning rate 0.001, the default)", candidates[3].GetProperty("description").GetString()); // --learning-rate is the encoder's
        Assert.Contains("+ gau-from-scratch", candidates[4].GetProperty("description").GetString());
        string chosen = root.GetProperty("chosen").GetString()!;
        Assert.Contains(chosen, candidates.Select(c => c.GetProperty("name").GetString()));
        Assert.Contains($"chosen: {chosen}", auto.Out);

        var evaluate = Gau("evaluate", "--task", "eprstmt", "--data", data, "--model", outDir);
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("over 40 rows", evaluate.Out);
        var predict = Gau("predict", "--task", "eprstmt", "--data", data, "--model", outDir, "--output", outDir);
        Assert.True(predict.Code == 0, predict.Err);
        Assert.Equal(10, File.ReadAllLines(Path.Combine(outDir, "eprstmt_predict.json")).Length);
    }

    [Fact]
    public void AnNgramModelFromAutoEvaluatesAndPredictsWithoutAGauClassifier()
    {
        string data = SmallSentimentFolder(), outDir = Path.Combine(TestPaths.NewTempDirectory(), "auto");
        // One fine-tuning epoch at 16 tokens cannot match n-grams on this data: the n-gram chain is chosen.
        var auto = Gau("auto", "--task", "eprstmt", "--data", data, "--folds", "3", "--epochs", "1", "--max-length", "16", "--device", "cpu", "--output", outDir);
        Assert.True(auto.Code == 0, auto.Err);
        Assert.Contains("chosen: char-ngrams", auto.Out);
        var evaluate = Gau("evaluate", "--task", "eprstmt", "--data", data, "--model", outDir);
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("accuracy", evaluate.Out);
        var inline = Gau("predict", "--task", "eprstmt", "--model", outDir, "--text", "质量很好，推荐购买");
        Assert.True(inline.Code == 0, inline.Err);
        Assert.Matches(@"^(Positive|Negative)\t质量很好，推荐购买", inline.Out.Trim());
        var wrongTask = Gau("evaluate", "--task", "afqmc", "--data", Path.Combine(TestPaths.RepositoryRoot, "samples", "data", "matching"), "--model", outDir);
        Assert.NotEqual(0, wrongTask.Code);
        Assert.Contains("have nothing in common", wrongTask.Err);
    }

    [Theory]
    [InlineData("--folds", "1", "--folds must be at least 2")]
    [InlineData("--learning-rate", "0", "--learning-rate must be a positive number")]
    [InlineData("--batch-size", "0", "--batch-size must be at least 1")]
    [InlineData("--time", "soon", "--time: expected a positive duration")]
    [InlineData("--encoder", "/no/such/encoder", "--encoder")]
    [InlineData("--encoder", "FIXTURE", "--encoder: ")]
    public void BadArgumentsAreUsageErrors(string name, string value, string message)
    {
        if (value == "FIXTURE") value = TestPaths.TinyModel; // weights without a vocabulary: no encoder for text
        var run = Gau("auto", "--task", "eprstmt", "--data", SmallSentimentFolder(), name, value, "--output", TestPaths.NewTempDirectory());
        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains(message, run.Err);
    }
}
