using System.Diagnostics;
using System.Text;
using GauMLNet.Cli;
using GauMLNet.Cli.Failures;
using GauMLNet.Tests.Support;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Cli;

/// <summary>
/// What the damaged-input tests run on, made once: a CLUE folder (eprstmt rows of the sample data), a tiny model trained on
/// it (model.zip, checkpoints), the same model exported in the PyTorch layout (gaumlnet.json), a tiny pretrained checkpoint
/// directory (config.json, model.safetensors, vocab.txt, checkpoints), a sweep's trial log, scored shards and a CSV data file.
/// </summary>
public sealed class DamagedInputFixture
{
    public string Root { get; } = TestPaths.NewTempDirectory();
    public string Clue => Path.Combine(Root, "clue");
    public string Model => Path.Combine(Root, "model");
    public string PyTorch => Path.Combine(Root, "pytorch");
    public string Checkpoint => Path.Combine(Root, "checkpoint");
    public string Csv => Path.Combine(Root, "data", "reviews.csv");
    public string Corpus => Path.Combine(Root, "data", "corpus.txt");
    public string Sweep => Path.Combine(Root, "sweep");
    public string Shards => Path.Combine(Root, "shards");
    /// <summary>A vocab.txt of the tiny fixture's size (300), for convert.</summary>
    public string TinyVocab => Path.Combine(Root, "tiny-vocab", "vocab.txt");

    public DamagedInputFixture()
    {
        string sample = Path.Combine(TestPaths.RepositoryRoot, "samples", "data", "sentiment");
        Directory.CreateDirectory(Clue);
        File.WriteAllLines(Path.Combine(Clue, "train.json"), File.ReadLines(Path.Combine(sample, "train.json")).Where((_, i) => i % 25 == 0));
        File.WriteAllLines(Path.Combine(Clue, "dev.json"), File.ReadLines(Path.Combine(sample, "dev.json")).Take(12));
        File.WriteAllLines(Path.Combine(Clue, "test.json"), File.ReadLines(Path.Combine(sample, "test.json")).Take(12));
        Directory.CreateDirectory(Path.GetDirectoryName(TinyVocab)!);
        File.WriteAllLines(TinyVocab, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(5, 295).Select(i => $"t{i}")]);
        Directory.CreateDirectory(Path.GetDirectoryName(Csv)!);
        File.WriteAllText(Csv, "text,label\n" + string.Concat(Enumerable.Range(0, 24).Select(i => $"{(i % 2 == 0 ? "很好" : "很差")}的第{i}条,{(i % 2 == 0 ? "Positive" : "Negative")}\n")));
        File.WriteAllText(Corpus, string.Concat(Enumerable.Range(0, 40).Select(i => $"第{i}句话很好。\n{{\"text\": \"另一句{i}\"}}\n")));

        Require("gau", "train", "--task", "eprstmt", "--data", Clue, "--config", "tiny", "--epochs", "1", "--max-length", "24", "--batch-size", "16",
            "--output", Model, "--device", "cpu");
        Require("gau", "export", "--model", Model, "--output", PyTorch, "--format", "pytorch");
        Require("gau", "pretrain", "--corpus", Corpus, "--config", "tiny", "--steps", "2", "--batch-size", "4", "--max-length", "16",
            "--checkpoint-every", "1", "--output", Checkpoint, "--device", "cpu");
        // A sweep that logged one finished trial (written here: running a trial takes far longer than every damaged run together).
        Directory.CreateDirectory(Sweep);
        File.WriteAllText(Path.Combine(Sweep, "trials.jsonl"), """
            {"Id":1,"Parameters":{"learning_rate":0.001,"epochs":2,"batch_size":"16","max_length":"64","dropout":0.1,"frozen_layers":0,"pooling":"First","model_size":"tiny"},"Metric":0.5,"Seconds":3.5,"Status":"Completed","EpochMetrics":[0.4,0.5],"Error":null}

            """);
        Directory.CreateDirectory(Shards);
        foreach (string shard in new[] { "0/2", "1/2" })
            Require("gau", "predict", "--input", Csv, "--model", Model, "--output", Path.Combine(Shards, $"part{shard[0]}.csv"), "--shard", shard);
    }

    private static void Require(string gau, params string[] args)
    {
        var stderr = new StringWriter();
        int code = GauCli.Run(args, new StringWriter(), stderr);
        if (code != 0) throw new InvalidOperationException($"{gau} {string.Join(' ', args)} failed ({code}): {stderr}");
    }
}

/// <summary>
/// Issue #30, item 3: every gau command on a damaged input of each kind it reads — empty, truncated, garbage, undecodable,
/// the wrong JSON type, keys missing, a flipped byte — in model zips, model and checkpoint directories (config.json,
/// gaumlnet.json, vocab.txt, model.safetensors, LATEST), data folders and files, corpora, sweep logs and shards. No outcome
/// may be an internal error, a stack trace or an undocumented exit code; a damage that leaves nothing usable must fail as a
/// data or usage error. Signals cannot be caught in-process: <see cref="TheBuiltGauExitsWithADocumentedCodeAndNoSignal"/>
/// runs the built gau as a child process on a handful of the same inputs.
/// </summary>
public sealed class DamagedInputTests(DamagedInputFixture fixture, ITestOutputHelper output) : IClassFixture<DamagedInputFixture>
{
    private static readonly int[] Documented = [ExitCodes.Success, ExitCodes.ComparisonMismatch, ExitCodes.Diverged, ExitCodes.BudgetExhausted, ExitCodes.Usage, ExitCodes.DataError];

    /// <summary>A way to damage a file; <paramref name="Fatal"/> when nothing usable can be left (the command must fail).</summary>
    private sealed record Damage(string Name, bool Fatal, Func<byte[], byte[]> Apply);

    private static byte[] Garbage(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static readonly Damage Empty = new("empty", true, _ => []);
    private static readonly Damage Truncated = new("truncated", false, b => b[..(b.Length / 2)]);
    private static readonly Damage TruncatedFatal = new("truncated", true, b => b[..(b.Length / 2)]);
    private static readonly Damage RandomBytes = new("garbage", true, _ => Garbage(300, 7));
    private static readonly Damage Flipped = new("byte flipped", false, b => { var c = (byte[])b.Clone(); c[c.Length / 2] ^= 0x5a; return c; });
    private static readonly Damage Undecodable = new("invalid UTF-8", true, b => [0xff, 0xfe, 0xc3, .. b]);
    private static readonly Damage JsonArray = new("a JSON array", true, _ => "[1, 2]"u8.ToArray());
    private static readonly Damage JsonNull = new("JSON null", true, _ => "null"u8.ToArray());
    private static readonly Damage JsonEmptyObject = new("{} (keys missing)", true, _ => "{}"u8.ToArray());
    private static readonly Damage WrongTypes = new("values of the wrong type", true, b => Encoding.UTF8.GetBytes(
        System.Text.RegularExpressions.Regex.Replace(Encoding.UTF8.GetString(b), @":\s*(""[^""]*""|-?[0-9.eE+-]+|true|false)", ": [{}]")));
    private static readonly Damage LinesOfWrongType = new("lines of the wrong type", true, _ => "[1]\n\"x\"\n42\nnull\n"u8.ToArray());

    private static readonly Damage[] JsonDamages = [Empty, TruncatedFatal, RandomBytes, Undecodable, JsonArray, JsonNull, JsonEmptyObject, WrongTypes, Flipped];
    // Valid sizes of a model far larger than the weights beside it: building it first would ask libtorch for terabytes.
    private static readonly Damage HugeModel = new("sizes of a huge model", true, b =>
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(b)!.AsObject();
        config["hidden_size"] = 200000;
        config["embedding_size"] = 200000;
        config["intermediate_size"] = 400000;
        config["num_hidden_layers"] = 50;
        return Encoding.UTF8.GetBytes(config.ToJsonString());
    });
    private static readonly Damage[] ConfigDamages = [.. JsonDamages, HugeModel];
    private static readonly Damage[] LinesDamages = [Empty, Truncated, RandomBytes, Undecodable, LinesOfWrongType, JsonEmptyObject, WrongTypes, Flipped];
    private static readonly Damage[] BinaryDamages = [Empty, TruncatedFatal, RandomBytes, Flipped];
    private static readonly Damage[] TextDamages = [Empty, RandomBytes, Undecodable, Truncated];
    private static readonly Damage[] EncodeDamages = [Empty, TruncatedFatal, RandomBytes, Undecodable, JsonArray, JsonNull, JsonEmptyObject, Flipped];
    private static readonly Damage UnbalancedQuote = new("an unbalanced quote", true, b => [.. "text,label\n\"很好,Positive\n"u8.ToArray(), .. b]);
    private static readonly Damage[] CsvDamages = [Empty, Truncated, RandomBytes, Undecodable, UnbalancedQuote, new("a ragged row", true, b => [.. b, .. "a,b,c,d\n"u8.ToArray()]), Flipped];
    // A corpus takes any line as text: only what cannot be text, or a JSON line without its field, must fail.
    private static readonly Damage[] CorpusDamages = [Empty, Truncated, RandomBytes, Undecodable, JsonEmptyObject, WrongTypes, Flipped];
    // An empty log is a sweep that has not started: it starts, so it is not among these.
    private static readonly Damage[] LogDamages = [Truncated, RandomBytes, Undecodable, LinesOfWrongType, JsonEmptyObject, WrongTypes, Flipped];

    /// <summary>A command and the input it reads: the folder copied (so the fixture stays whole), the member damaged, the arguments.</summary>
    private sealed record Scenario(string Name, Func<DamagedInputFixture, string> Source, string Member, Damage[] Damages, Func<DamagedInputFixture, string, string, string[]> Args);

    private static string Out(string copy) => Path.Combine(copy, "..", Path.GetFileName(copy) + "-out");

    private static readonly Scenario[] Scenarios =
    [
        // Models: a training output's model.zip, read by evaluate, predict and export.
        new("evaluate model.zip", f => f.Model, "model.zip", BinaryDamages, (f, m, _) => ["evaluate", "--task", "eprstmt", "--file", Path.Combine(f.Clue, "dev.json"), "--model", m]),
        new("predict model.zip", f => f.Model, "model.zip", BinaryDamages, (f, m, _) => ["predict", "--task", "eprstmt", "--model", m, "--text", "很好"]),
        new("export model.zip", f => f.Model, "model.zip", BinaryDamages, (f, m, _) => ["export", "--model", Path.Combine(m, "model.zip"), "--output", Out(m)]),
        // The PyTorch layout (gau export --format pytorch): every member.
        new("evaluate gaumlnet.json", f => f.PyTorch, "gaumlnet.json", JsonDamages, (f, m, _) => ["evaluate", "--task", "eprstmt", "--file", Path.Combine(f.Clue, "dev.json"), "--model", m]),
        new("export gaumlnet.json", f => f.PyTorch, "gaumlnet.json", JsonDamages, (f, m, _) => ["export", "--model", m, "--output", Out(m)]),
        new("evaluate pytorch config.json", f => f.PyTorch, "config.json", ConfigDamages, (f, m, _) => ["evaluate", "--task", "eprstmt", "--file", Path.Combine(f.Clue, "dev.json"), "--model", m]),
        new("evaluate pytorch vocab.txt", f => f.PyTorch, "vocab.txt", TextDamages, (f, m, _) => ["evaluate", "--task", "eprstmt", "--file", Path.Combine(f.Clue, "dev.json"), "--model", m]),
        new("evaluate pytorch model.safetensors", f => f.PyTorch, "model.safetensors", BinaryDamages, (f, m, _) => ["evaluate", "--task", "eprstmt", "--file", Path.Combine(f.Clue, "dev.json"), "--model", m]),
        // A checkpoint directory: encode, export, train --model, pretrain --model, sweep --model, inspect.
        new("encode config.json", f => f.Checkpoint, "config.json", ConfigDamages, (f, m, _) => ["encode", "--model", m, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"), "--output", Out(m), "--device", "cpu"]),
        new("encode model.safetensors", f => f.Checkpoint, "model.safetensors", BinaryDamages, (f, m, _) => ["encode", "--model", m, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"), "--output", Out(m), "--device", "cpu"]),
        new("export checkpoint config.json", f => f.Checkpoint, "config.json", ConfigDamages, (f, m, _) => ["export", "--model", m, "--output", Out(m)]),
        new("train --model config.json", f => f.Checkpoint, "config.json", ConfigDamages, (f, m, _) => ["train", "--task", "eprstmt", "--data", f.Clue, "--model", m, "--epochs", "1", "--max-length", "16", "--output", Out(m), "--device", "cpu"]),
        new("train --model vocab.txt", f => f.Checkpoint, "vocab.txt", TextDamages, (f, m, _) => ["train", "--task", "eprstmt", "--data", f.Clue, "--model", m, "--epochs", "1", "--max-length", "16", "--output", Out(m), "--device", "cpu"]),
        new("train --model model.safetensors", f => f.Checkpoint, "model.safetensors", BinaryDamages, (f, m, _) => ["train", "--task", "eprstmt", "--data", f.Clue, "--model", m, "--epochs", "1", "--max-length", "16", "--output", Out(m), "--device", "cpu"]),
        new("pretrain --model config.json", f => f.Checkpoint, "config.json", ConfigDamages, (f, m, _) => ["pretrain", "--corpus", f.Corpus, "--model", m, "--steps", "1", "--batch-size", "2", "--max-length", "16", "--output", Out(m), "--device", "cpu"]),
        new("sweep --model vocab.txt", f => f.Checkpoint, "vocab.txt", TextDamages, (f, m, _) => ["sweep", "--task", "eprstmt", "--data", f.Clue, "--model", m, "--trials", "1", "--output", Out(m)]),
        new("inspect model.safetensors", f => f.Checkpoint, "model.safetensors", BinaryDamages, (_, m, file) => ["inspect", file]),
        new("inspect pytorch_model.bin", _ => TestPaths.TinyModel, "pytorch_model.bin", BinaryDamages, (_, m, file) => ["inspect", file]),
        // convert: the torch file, the vocabulary and the config it reads.
        new("convert pytorch_model.bin", _ => TestPaths.TinyModel, "pytorch_model.bin", BinaryDamages, (f, m, file) => ["convert", "--from", file, "--vocab", f.TinyVocab, "--config", Path.Combine(m, "config.json"), "--output", Out(m)]),
        new("convert --config", _ => TestPaths.TinyModel, "config.json", ConfigDamages, (f, m, file) => ["convert", "--from", Path.Combine(m, "pytorch_model.bin"), "--vocab", f.TinyVocab, "--config", file, "--output", Out(m)]),
        new("convert --vocab", f => Path.GetDirectoryName(f.TinyVocab)!, "vocab.txt", TextDamages, (f, m, file) => ["convert", "--from", Path.Combine(TestPaths.TinyModel, "pytorch_model.bin"), "--vocab", file, "--config", Path.Combine(TestPaths.TinyModel, "config.json"), "--output", Out(m)]),
        // Resuming: the checkpoints' LATEST pointer and a sweep's trial log.
        new("train --resume LATEST", f => f.Model, Path.Combine("checkpoints", "LATEST"), TextDamages, (f, m, _) => ["train", "--task", "eprstmt", "--data", f.Clue, "--config", "tiny", "--epochs", "2", "--max-length", "24", "--batch-size", "16", "--output", m, "--device", "cpu", "--resume"]),
        new("pretrain --resume LATEST", f => f.Checkpoint, Path.Combine("pretrain-checkpoint", "LATEST"), TextDamages, (f, m, _) => ["pretrain", "--corpus", f.Corpus, "--config", "tiny", "--steps", "3", "--batch-size", "4", "--max-length", "16", "--output", m, "--device", "cpu", "--resume"]),
        new("sweep trials.jsonl", f => f.Sweep, "trials.jsonl", LogDamages, (f, m, _) => ["sweep", "--task", "eprstmt", "--data", f.Clue, "--trials", "1", "--time", "2m", "--output", m]),
        // CLUE data folders: train, sweep, baseline and quickstart read train.json; evaluate dev.json; predict test.json.
        new("train train.json", f => f.Clue, "train.json", LinesDamages, (f, m, _) => ["train", "--task", "eprstmt", "--data", m, "--config", "tiny", "--epochs", "1", "--max-length", "16", "--output", Out(m), "--device", "cpu"]),
        new("sweep train.json", f => f.Clue, "train.json", LinesDamages, (f, m, _) => ["sweep", "--task", "eprstmt", "--data", m, "--trials", "1", "--output", Out(m)]),
        new("baseline train.json", f => f.Clue, "train.json", LinesDamages, (f, m, _) => ["baseline", "--task", "eprstmt", "--data", m]),
        new("quickstart train.json", f => f.Clue, "train.json", LinesDamages, (f, m, _) => ["quickstart", "--data", m, "--config", "tiny", "--epochs", "1", "--output", Out(m)]),
        new("evaluate dev.json", f => f.Clue, "dev.json", LinesDamages, (f, m, _) => ["evaluate", "--task", "eprstmt", "--data", m, "--model", f.Model]),
        new("predict test.json", f => f.Clue, "test.json", LinesDamages, (f, m, _) => ["predict", "--task", "eprstmt", "--data", m, "--model", f.Model, "--output", Out(m)]),
        new("train cluener", f => f.Clue, "train.json", LinesDamages, (f, m, _) => ["train", "--task", "cluener", "--data", m, "--config", "tiny", "--epochs", "1", "--max-length", "16", "--output", Out(m), "--device", "cpu"]),
        // Data files (CSV here): train, evaluate, predict --input; merge-shards reads the scored shards.
        new("train CSV", f => Path.GetDirectoryName(f.Csv)!, "reviews.csv", CsvDamages, (f, m, file) => ["train", "--data", file, "--dev-fraction", "0.25", "--config", "tiny", "--epochs", "1", "--max-length", "16", "--output", Out(m), "--device", "cpu"]),
        new("evaluate CSV", f => Path.GetDirectoryName(f.Csv)!, "reviews.csv", CsvDamages, (f, m, file) => ["evaluate", "--data", file, "--model", f.Model]),
        new("predict CSV", f => Path.GetDirectoryName(f.Csv)!, "reviews.csv", CsvDamages, (f, m, file) => ["predict", "--input", file, "--model", f.Model, "--output", Path.Combine(Out(m), "scored.csv")]),
        new("merge-shards", f => f.Shards, "part1.csv", CsvDamages, (f, m, file) => ["merge-shards", Path.Combine(m, "part0.csv"), file, "--output", Path.Combine(Out(m), "merged.csv")]),
        new("pretrain --corpus", f => Path.GetDirectoryName(f.Corpus)!, "corpus.txt", CorpusDamages, (f, m, file) => ["pretrain", "--corpus", file, "--config", "tiny", "--steps", "1", "--batch-size", "2", "--max-length", "16", "--output", Out(m), "--device", "cpu"]),
        new("pretrain --vocab", f => f.Checkpoint, "vocab.txt", TextDamages, (f, m, file) => ["pretrain", "--corpus", f.Corpus, "--vocab", file, "--config", "tiny", "--steps", "1", "--batch-size", "2", "--max-length", "16", "--output", Out(m), "--device", "cpu"]),
        // gau encode's own files (EncodeCommandTests has the key-by-key cases).
        new("encode --input", _ => TestPaths.TinyModel, "inputs.json", EncodeDamages, (_, m, file) => ["encode", "--model", TestPaths.TinyModel, "--input", file, "--output", Out(m), "--device", "cpu"]),
        new("encode --compare", _ => TestPaths.TinyModel, "expected.json", EncodeDamages, (_, m, file) => ["encode", "--model", TestPaths.TinyModel, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"), "--output", Out(m), "--compare", file, "--device", "cpu"]),
    ];

    public static TheoryData<string> ScenarioNames() => [.. Scenarios.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void ADamagedInputIsAnErrorMessageNeverACrash(string name)
    {
        var scenario = Scenarios.Single(s => s.Name == name);
        var problems = new List<string>();
        foreach (var damage in scenario.Damages)
        {
            string copy = Copy(scenario.Source(fixture));
            string member = Path.Combine(copy, scenario.Member);
            File.WriteAllBytes(member, damage.Apply(File.ReadAllBytes(member)));
            string[] args = scenario.Args(fixture, copy, member);
            var (code, err, seconds) = Gau(args);
            output.WriteLine($"{name}, {damage.Name}: exit {code} in {seconds:F1} s: {err.Trim().Split('\n').LastOrDefault()}");
            if (!Documented.Contains(code)) problems.Add($"{damage.Name}: exit code {code}: {err}");
            else if (err.Contains("internal error", StringComparison.Ordinal) || err.Contains("   at ", StringComparison.Ordinal)) problems.Add($"{damage.Name}: {err}");
            else if (damage.Fatal && code is not (ExitCodes.Usage or ExitCodes.DataError)) problems.Add($"{damage.Name}: exit {code} on an input with nothing usable left: {err}");
        }
        Assert.True(problems.Count == 0, $"gau on a damaged input ({name}):\n" + string.Join("\n", problems));
    }

    /// <summary>
    /// A training checkpoint's state.json changed behind a recomputed manifest (so only its parser stands guard): train --resume
    /// refuses it naming the file, never a NullReferenceException in the resumed run.
    /// </summary>
    [Theory]
    [InlineData("\"Losses\": null")]
    [InlineData("\"Metrics\": null")]
    [InlineData("\"Fingerprint\": null")]
    [InlineData("\"Fingerprint\": {\"epochs\": null}")]
    [InlineData("\"Kind\": null")]
    [InlineData("\"Step\": -5")]
    [InlineData("\"EpochsCompleted\": -1")]
    [InlineData("\"BestEpoch\": 7")]
    [InlineData("\"BestEpoch\": -3")]
    [InlineData("\"Losses\": [1, \"x\"]")]
    public void ADamagedTrainingStateBehindARecomputedManifestIsRefused(string field)
    {
        string copy = Copy(fixture.Model);
        string version = Directory.GetDirectories(Path.Combine(copy, "checkpoints")).Single();
        var state = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(version, "state.json")))!.AsObject();
        var replacement = System.Text.Json.Nodes.JsonNode.Parse("{" + field + "}")!.AsObject();
        foreach (var (key, value) in replacement.ToList()) { replacement.Remove(key); state[key] = value; }
        File.WriteAllText(Path.Combine(version, "state.json"), state.ToJsonString());
        var files = Directory.GetFiles(version).Where(f => Path.GetFileName(f) != Storage.FileManifest.FileName)
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        File.WriteAllBytes(Path.Combine(version, Storage.FileManifest.FileName), Storage.FileManifest.Of(files).ToBytes());

        // The arguments that wrote the checkpoint, so that the fingerprint matches and the state is used.
        var (code, err, seconds) = Gau(["train", "--task", "eprstmt", "--data", fixture.Clue, "--config", "tiny", "--epochs", "1", "--max-length", "24",
            "--batch-size", "16", "--output", copy, "--device", "cpu", "--resume"]);
        output.WriteLine($"state.json with {field}: exit {code} in {seconds:F1} s: {err.Trim()}");
        Assert.True(code == ExitCodes.DataError, $"exit {code}: {err}");
        Assert.DoesNotContain("   at ", err);
        Assert.Contains("state.json", err);
    }

    /// <summary>
    /// The built gau as a child process: a native crash or an unhandled exception would end it by a signal (exit ≥ 128) or
    /// the runtime's own code, which in-process tests cannot see.
    /// </summary>
    [SkippableFact]
    public void TheBuiltGauExitsWithADocumentedCodeAndNoSignal()
    {
        string gau = Path.Combine(AppContext.BaseDirectory, "gau.dll");
        Skip.IfNot(File.Exists(gau), $"gau.dll is not beside the tests ({AppContext.BaseDirectory})");
        var runs = new List<(string Label, string Member, byte[] Bytes, Func<string, string, string[]> Args)>
        {
            ("model.zip truncated", "model.zip", TruncatedFatal.Apply(File.ReadAllBytes(Path.Combine(fixture.Model, "model.zip"))),
                (dir, file) => ["predict", "--task", "eprstmt", "--model", file, "--text", "很好"]),
            ("model.safetensors garbage", "model.safetensors", RandomBytes.Apply([]),
                (dir, file) => ["inspect", file]),
            ("pytorch_model.bin truncated", "pytorch_model.bin", TruncatedFatal.Apply(File.ReadAllBytes(Path.Combine(TestPaths.TinyModel, "pytorch_model.bin"))),
                (dir, file) => ["inspect", file]),
            ("encode reference without mlm_logits_first_token", "ref.json", Encoding.UTF8.GetBytes("{\"last_hidden_state\": [[[1]]]}"),
                (dir, file) => ["encode", "--model", TestPaths.TinyModel, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"), "--output", Path.Combine(dir, "o.json"), "--compare", file, "--device", "cpu"]),
        };
        var problems = new List<string>();
        foreach (var (label, member, bytes, args) in runs)
        {
            string dir = TestPaths.NewTempDirectory();
            string file = Path.Combine(dir, member);
            File.WriteAllBytes(file, bytes);
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])[gau, .. args(dir, file)]) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60))) { process.Kill(); problems.Add($"{label}: no exit after 60 s"); continue; }
            string err = stderr.Result;
            output.WriteLine($"child gau, {label}: exit {process.ExitCode}: {err.Trim()}");
            if (process.ExitCode >= 128 || !Documented.Contains(process.ExitCode) || err.Contains("   at ", StringComparison.Ordinal))
                problems.Add($"{label}: exit {process.ExitCode}: {err}");
            else if (process.ExitCode is not (ExitCodes.Usage or ExitCodes.DataError)) problems.Add($"{label}: exit {process.ExitCode} on a damaged input: {err}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static (int Code, string Err, double Seconds) Gau(string[] args)
    {
        var stderr = new StringWriter();
        var clock = Stopwatch.StartNew();
        int code = GauCli.Run(args, new StringWriter(), stderr);
        return (code, stderr.ToString(), clock.Elapsed.TotalSeconds);
    }

    /// <summary>A copy of a fixture folder (every file, recursively) in a new temporary folder.</summary>
    private static string Copy(string source)
    {
        string copy = Path.Combine(TestPaths.NewTempDirectory(), Path.GetFileName(source));
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }
}
