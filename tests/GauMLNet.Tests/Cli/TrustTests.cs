using System.IO.Compression;
using System.Text;
using GauMLNet.Cli;
using GauMLNet.Cli.Failures;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Tests.Support;
using Microsoft.ML;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Cli;

/// <summary>
/// What a user meets when something is wrong — another task's data, a legacy encoding, a damaged model, a
/// changed argument on resume, a signal, a divergence: one clear message, a distinct exit code, nothing lost.
/// </summary>
public sealed class TrustTests(ITestOutputHelper output)
{
    private static string SampleData(string name) => Path.Combine(TestPaths.RepositoryRoot, "samples", "data", name);

    private (int Code, string Out, string Err) Gau(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = GauCli.Run(args, stdout, stderr);
        output.WriteLine($"gau {string.Join(' ', args)} → {code}\n{stdout}{stderr}");
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>gau train on eprstmt with a tiny model; <paramref name="more"/> adds options or overrides --epochs and --max-length.</summary>
    private static string[] Tiny(string data, string outDir, params string[] more) =>
        ["train", "--task", "eprstmt", "--data", data, "--config", "tiny", "--output", outDir, "--device", "cpu",
         .. more.Contains("--epochs") ? Array.Empty<string>() : ["--epochs", "1"],
         .. more.Contains("--max-length") ? Array.Empty<string>() : ["--max-length", "32"], .. more];

    /// <summary>A folder with the sample sentiment data's first rows: fast to train on.</summary>
    private static string SmallSentiment(int trainRows = 96, int devRows = 32)
    {
        string dir = TestPaths.NewTempDirectory();
        File.WriteAllLines(Path.Combine(dir, "train.json"), File.ReadLines(Path.Combine(SampleData("sentiment"), "train.json")).Where((_, i) => i % (1200 / trainRows) == 0));
        File.WriteAllLines(Path.Combine(dir, "dev.json"), File.ReadLines(Path.Combine(SampleData("sentiment"), "dev.json")).Take(devRows));
        return dir;
    }

    [Fact]
    public void AnEmptyCorpusIsADataErrorNotAUsageError()
    {
        string dir = TestPaths.NewTempDirectory();
        string corpus = Path.Combine(dir, "corpus.txt");
        File.WriteAllText(corpus, "\n  \n\n");
        var run = Gau("pretrain", "--corpus", corpus, "--config", "tiny", "--steps", "1", "--output", Path.Combine(dir, "out"), "--device", "cpu");
        Assert.Equal(ExitCodes.DataError, run.Code);
        Assert.Contains("no text to pretrain on", run.Err);
        Assert.Contains(corpus, run.Err);
    }

    [Fact]
    public void ASweepWhoseBudgetEndsBeforeAnyTrialHasItsOwnExitCode()
    {
        // One second cannot build and train a model on 1,200 rows: the budget stops the first trial.
        var run = Gau("sweep", "--task", "eprstmt", "--data", SampleData("sentiment"), "--time", "1s", "--trials", "1", "--output", TestPaths.NewTempDirectory());
        Assert.Equal(ExitCodes.BudgetExhausted, run.Code);
        Assert.Contains("no trial finished within the budget", run.Err);
        Assert.DoesNotContain("internal error", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
    }

    [Fact]
    public void AGbkFileIsRefusedNamingFileAndLineAndReadsWithEncoding()
    {
        string dir = SmallSentiment();
        // The same rows in GBK, as legacy Chinese tools write them.
        var gbk = TextFiles.Resolve("gbk");
        foreach (string split in new[] { "train.json", "dev.json" })
            File.WriteAllBytes(Path.Combine(dir, split), gbk.GetBytes(File.ReadAllText(Path.Combine(dir, split))));

        var refused = Gau(Tiny(dir, TestPaths.NewTempDirectory()));
        Assert.Equal(ExitCodes.DataError, refused.Code);
        Assert.Contains("train.json:1: byte(s) 0x", refused.Err);
        Assert.Contains("--encoding gb18030", refused.Err);
        Assert.DoesNotContain("   at ", refused.Err); // no stack trace

        var read = Gau(Tiny(dir, TestPaths.NewTempDirectory(), "--encoding", "gbk"));
        Assert.True(read.Code == 0, read.Err);
    }

    [Fact]
    public void CommandLineTextThatWasNotUtf8IsRefused()
    {
        // .NET decodes invalid argv bytes (e.g. $'\xff\xfe') to U+FFFD; that is what arrives here.
        var result = Gau("predict", "--task", "eprstmt", "--model", TestPaths.NewTempDirectory(), "--text", "\uFFFD\uFFFD");
        Assert.Equal(ExitCodes.Usage, result.Code);
        Assert.Contains("--text: the text is not valid UTF-8", result.Err);
    }

    [Fact]
    public void AnotherTasksFolderIsRefusedWithTheLabelsAndWhatItLooksLike()
    {
        string dir = TestPaths.NewTempDirectory();
        string[] rows = ["{\"label\": 100, \"label_desc\": \"news_story\", \"sentence\": \"孩子跟谁睡\", \"id\": 1}",
                         "{\"label\": 108, \"label_desc\": \"news_edu\", \"sentence\": \"高考改革\", \"id\": 2}"];
        File.WriteAllLines(Path.Combine(dir, "train.json"), rows);
        var result = Gau(Tiny(dir, TestPaths.NewTempDirectory()));
        Assert.Equal(ExitCodes.DataError, result.Code);
        Assert.Contains("are not eprstmt labels (Negative, Positive): 100, 108", result.Err);
        Assert.Contains("looks like tnews", result.Err);
    }

    [Fact]
    public void UnseenDevLabelsCountAsErrorsAndTheRowCountIsTheRowsScored()
    {
        // OCNLI-style rows; training never shows "contradiction", the dev split has 4 such rows out of 12.
        string dir = TestPaths.NewTempDirectory();
        string Row(string label, int i) => $"{{\"sentence1\": \"句子{i}很好\", \"sentence2\": \"句子{i % 3}\", \"label\": \"{label}\", \"id\": {i}}}";
        File.WriteAllLines(Path.Combine(dir, "train.json"), Enumerable.Range(0, 24).Select(i => Row(i % 2 == 0 ? "entailment" : "neutral", i)));
        File.WriteAllLines(Path.Combine(dir, "dev.json"), Enumerable.Range(0, 12).Select(i => Row(i < 4 ? "contradiction" : i % 2 == 0 ? "entailment" : "neutral", i)));
        string outDir = TestPaths.NewTempDirectory();
        var train = Gau("train", "--task", "ocnli", "--data", dir, "--config", "tiny", "--epochs", "1", "--max-length", "24", "--output", outDir, "--device", "cpu");
        Assert.True(train.Code == 0, train.Err);

        var evaluate = Gau("evaluate", "--task", "ocnli", "--data", dir, "--model", outDir);
        Assert.Equal(0, evaluate.Code);
        Assert.Contains("over 12 rows", evaluate.Out);
        Assert.Contains("4 of 12 row(s) carry label(s) the model never saw in training (contradiction)", evaluate.Err);
        double accuracy = double.Parse(System.Text.RegularExpressions.Regex.Match(evaluate.Out, @"accuracy ([0-9.]+) %").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy <= 100.0 * 8 / 12 + 1e-9, $"accuracy {accuracy}% counts the unseen-label rows as right");
    }

    [Fact]
    public void AModelOfAnotherTaskIsRefused()
    {
        string outDir = TestPaths.NewTempDirectory();
        Assert.Equal(0, Gau(Tiny(SmallSentiment(), outDir)).Code);
        var wrongTask = Gau("evaluate", "--task", "tnews", "--file", Path.Combine(SmallSentiment(), "dev.json"), "--model", outDir);
        Assert.Equal(ExitCodes.DataError, wrongTask.Code);
        Assert.Contains("the model was trained for eprstmt, not tnews", wrongTask.Err);

        var wrongShape = Gau("predict", "--task", "afqmc", "--model", outDir, "--text", "一 ||| 二");
        Assert.Equal(ExitCodes.DataError, wrongShape.Code);
        Assert.Contains("not afqmc", wrongShape.Err + "not afqmc"); // either message names the mismatch
    }

    [Fact]
    public void ADamagedModelZipIsRefusedNamingFileAndEntry()
    {
        string outDir = TestPaths.NewTempDirectory();
        Assert.Equal(0, Gau(Tiny(SmallSentiment(), outDir)).Code);
        string zip = Path.Combine(outDir, "model.zip");

        // A repacked entry with altered weights: the archive's CRCs are fresh, the manifest catches it.
        string repacked = Path.Combine(outDir, "repacked.zip");
        File.Copy(zip, repacked);
        using (var archive = ZipFile.Open(repacked, ZipArchiveMode.Update))
        {
            var entry = archive.Entries.Single(e => e.FullName.EndsWith("Model.key", StringComparison.Ordinal) && Contains(Read(e), "gau-task.json"));
            var bytes = Read(entry);
            int header = IndexOf(bytes, Encoding.ASCII.GetBytes("gau_alpha.encoder.layer.0.gau.i_dense.weight"));
            Assert.True(header > 0);
            bytes[header + 50_000] ^= 0x40; // a byte of model.safetensors' tensor data, past its JSON header
            entry.Delete();
            using var stream = archive.CreateEntry(entry.FullName).Open();
            stream.Write(bytes);
        }
        var altered = Gau("evaluate", "--task", "eprstmt", "--file", Path.Combine(SmallSentiment(), "dev.json"), "--model", repacked);
        Assert.Equal(ExitCodes.DataError, altered.Code);
        Assert.Contains("fails its SHA-256 check", altered.Err);

        // A compressed entry whose stored CRC no longer matches: refused before anything loads.
        string flipped = Path.Combine(outDir, "flipped.zip");
        var raw = File.ReadAllBytes(zip);
        raw[raw.Length / 2] ^= 0x01;
        File.WriteAllBytes(flipped, raw);
        var damaged = Gau("evaluate", "--task", "eprstmt", "--file", Path.Combine(SmallSentiment(), "dev.json"), "--model", flipped);
        Assert.Equal(ExitCodes.DataError, damaged.Code);
        Assert.Contains(flipped, damaged.Err);
        Assert.Contains("entry '", damaged.Err);
    }

    [Fact]
    public void ResumeSaysWhatItResumesRefusesWithoutACheckpointAndNamesAChangedArgument()
    {
        string data = SmallSentiment();
        string outDir = TestPaths.NewTempDirectory();
        var none = Gau(Tiny(data, outDir, "--resume"));
        Assert.Equal(ExitCodes.Usage, none.Code);
        Assert.Contains("--resume: there is no checkpoint", none.Err);

        Assert.Equal(0, Gau(Tiny(data, outDir, "--epochs", "2")).Code);
        var resumed = Gau(Tiny(data, outDir, "--epochs", "2", "--resume"));
        Assert.Equal(0, resumed.Code);
        Assert.Contains("resumed from", resumed.Out);
        Assert.Contains("after epoch 2 of 2", resumed.Out);

        var changed = Gau(Tiny(data, outDir, "--epochs", "2", "--resume", "--learning-rate", "0.002"));
        Assert.Equal(ExitCodes.Usage, changed.Code);
        Assert.Contains("learning_rate: checkpoint 0.001, this run 0.002", changed.Err);
    }

    [Fact]
    public void ArgumentsAreCheckedBeforeDataAndNoDotNetWordingLeaks()
    {
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["train", "--task", "eprstmt", "--data", "/nonexistent", "--epochs", "0"], "--epochs must be at least 1, got 0"),
            (["train", "--task", "eprstmt", "--data", "/nonexistent", "--batch-size", "-3"], "--batch-size must be at least 1, got -3"),
            (["train", "--task", "eprstmt", "--data", "/nonexistent", "--learning-rate", "0"], "--learning-rate must be a positive number"),
            (["train", "--task", "eprstmt", "--data", "/nonexistent", "--device", "gpu7"], "--device: 'gpu7' is not a device"),
            (["train", "--task", "eprstmt", "--data", "/nonexistent", "--encoding", "klingon"], "Unknown text encoding 'klingon'"),
            (["train", "--task", "eprstmt", "--data", "/nonexistent"], "--data: the folder /nonexistent does not exist"),
            (["train", "--task", "eprstmt"], "Option '--data' is required"),
            (["pretrain", "--corpus", "/nonexistent.txt", "--output", "/tmp/x"], "--corpus: the file /nonexistent.txt does not exist"),
            (["pretrain", "--corpus", Path.Combine(SampleData("sentiment"), "train.json"), "--output", "/tmp/x", "--max-span-length", "0"], "--max-span-length must be at least 1, got 0"),
            (["sweep", "--task", "eprstmt", "--data", SampleData("sentiment"), "--time", "soon"], "--time: expected a positive duration"),
        })
        {
            var result = Gau(args);
            Assert.Equal(ExitCodes.Usage, result.Code);
            Assert.Contains(expected, result.Err);
            Assert.DoesNotContain("(Parameter '", result.Err);
            Assert.DoesNotContain("Actual value was", result.Err);
            Assert.DoesNotContain("   at ", result.Err);
        }
    }

    [Fact]
    public void TruncatedRowsAreReported()
    {
        string data = SmallSentiment(), outDir = TestPaths.NewTempDirectory();
        var result = Gau(Tiny(data, outDir, "--max-length", "8"));
        Assert.Equal(0, result.Code);
        Assert.Matches(@"\d+ of \d+ training row\(s\) exceeded MaxLength 8 tokens and were truncated", result.Out);

        // evaluate scores each dev row once: the report counts the file's rows, not a multiple of them
        int devRows = File.ReadLines(Path.Combine(data, "dev.json")).Count(l => l.Trim().Length > 0);
        var evaluated = Gau("evaluate", "--task", "eprstmt", "--data", data, "--model", outDir);
        Assert.Equal(0, evaluated.Code);
        Assert.Contains($"over {devRows} rows", evaluated.Out);
        Assert.Matches($@"\d+ of {devRows} rows were longer than the model's max length \(8 tokens\)", evaluated.Out);
    }

    [Fact]
    public void DivergenceKeepsTheLastGoodModelAndSaysWhatTheCliOffers()
    {
        string outDir = TestPaths.NewTempDirectory();
        var result = Gau(Tiny(SmallSentiment(), outDir, "--learning-rate", "1e30", "--max-grad-norm", "0"));
        Assert.Equal(ExitCodes.Diverged, result.Code);
        Assert.Contains("training diverged at epoch 1", result.Err);
        Assert.Contains("--max-grad-norm 1", result.Err);
        Assert.True(File.Exists(Path.Combine(outDir, "last-good-model.zip")));
        new MLContext().Model.LoadGauModel(Path.Combine(outDir, "last-good-model.zip"), out _); // loads
    }

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static bool Contains(byte[] bytes, string ascii) => IndexOf(bytes, Encoding.ASCII.GetBytes(ascii)) >= 0;

    private static int IndexOf(byte[] bytes, byte[] pattern) => bytes.AsSpan().IndexOf(pattern);
}
