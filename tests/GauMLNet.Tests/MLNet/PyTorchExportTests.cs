using System.Text.Json.Nodes;
using GauMLNet.Cli;
using GauMLNet.Cli.Failures;
using GauMLNet.Clue;
using GauMLNet.Interop;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.MLNet;

/// <summary>
/// Out to PyTorch's layout and back: the exported folder loads as the same ML.NET model (identical scores, hidden
/// states and predicted labels), feeds the estimators' ModelDirectory, works with gau export/evaluate, and anything
/// damaged or inconsistent in it is refused with the file and field named. The Python side of the parity is
/// interop/pytorch/roundtrip.sh.
/// </summary>
public sealed class PyTorchExportTests(ITestOutputHelper output)
{
    private static GauTextClassificationOptions Quick => TextClassificationTests.Options with { Epochs = 2 };

    private static List<ClueExample> ClueRows(int count, int seed) =>
        SyntheticText.Sentences(count, seed).Select((r, i) => new ClueExample { Id = i.ToString(), Sentence1 = r.Sentence ?? "", Label = r.Label }).ToList();

    private static float[][] Vectors(IDataView scored, string column) =>
        scored.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    private static double MaxDifference(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
    }

    [Fact]
    public void ACluePipelineGoesOutAndComesBackWithTheSameScoresHiddenStatesAndLabels()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(ClueRows(64, 1));
        var test = ml.Data.LoadFromEnumerable(ClueRows(40, 2));
        var task = ClueTask.Get("csldcp"); // a CLUE task without a fixed label set, so the synthetic labels pass
        var model = CluePipeline.Fit(ml, task, train, null, Quick, o => ml.MulticlassClassification.Trainers.GauTextClassification(o));
        string export = Path.Combine(TestPaths.NewTempDirectory(), "pytorch");
        ml.Model.ExportToPyTorch(model, export);

        foreach (string file in new[] { "config.json", "model.safetensors", "vocab.txt", "gaumlnet.json", "manifest.json" })
            Assert.True(File.Exists(Path.Combine(export, file)), file);
        var names = SafeTensorsFile.ReadHeader(Path.Combine(export, "model.safetensors")).Select(e => e.Name).ToList();
        Assert.Contains("gau_alpha.encoder.layer.0.gau.i_dense.weight", names);
        Assert.Contains("gau_alpha.embeddings.word_embeddings.weight", names);
        var description = JsonNode.Parse(File.ReadAllText(Path.Combine(export, "gaumlnet.json")))!;
        Assert.Equal("classification", description["task"]!.GetValue<string>());
        Assert.Equal(["head.classifier.bias", "head.classifier.weight"], description["head"]!["parameters"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["negative", "neutral", "positive"], description["labels"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("first", description["pooling"]!.GetValue<string>());
        Assert.Equal("csldcp", description["clue_task"]!.GetValue<string>());
        Assert.Equal(["content"], description["data"]!["text_fields"]!.AsArray().Select(n => n!.GetValue<string>()));

        var loaded = new MLContext().Model.LoadGauModel(export, out var schema);
        Assert.NotNull(schema.GetColumnOrNull(nameof(ClueExample.Sentence1)));
        double scores = MaxDifference(Vectors(model.Transform(test), "Score"), Vectors(loaded.Transform(test), "Score"));
        output.WriteLine($"class probabilities, fitted vs exported and imported: max |Δ| {scores:E2}");
        Assert.True(scores <= 1e-5, $"max |Δ| {scores:E2}");
        Assert.Equal(model.Transform(test).GetColumn<string>("PredictedLabel"), loaded.Transform(test).GetColumn<string>("PredictedLabel"));
        // The imported chain evaluates as gau train's does: its labels map to the same keys.
        var metrics = (CluePipeline.Evaluate(task, model, test), CluePipeline.Evaluate(task, loaded, test));
        Assert.Equal(metrics.Item1.Accuracy, metrics.Item2.Accuracy);
        Assert.Equal(metrics.Item1.LogLoss, metrics.Item2.LogLoss, 5);

        // Hidden states: the fitted package's backbone and the exported folder's, through the same encoder.
        string fitted = TestPaths.NewTempDirectory();
        CluePipeline.GauTransformers(model).Single().SaveCheckpoint(fitted);
        long[][] ids = [[2, 40, 41, 42, 43, 3, 0], [2, 50, 51, 3, 0, 0, 0]];
        long[][] mask = [[1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0, 0]];
        using var before = GauAlphaEncoder.Load(fitted, "cpu");
        using var after = GauAlphaEncoder.Load(export, "cpu");
        var (a, b) = (before.Encode(ids, null, mask), after.Encode(ids, null, mask));
        double hidden = a.Zip(b).Max(p => MaxDifference(p.First.LastHiddenState, p.Second.LastHiddenState));
        output.WriteLine($"hidden states, fitted vs exported: max |Δ| {hidden:E2}");
        Assert.True(hidden <= 1e-5, $"max |Δ| {hidden:E2}");
    }

    [Fact]
    public void AnExportedFolderIsAModelDirectoryForTheEstimators()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(48, 3));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var first = ml.MulticlassClassification.Trainers.GauTextClassification(Quick).Fit(data);
        string export = Path.Combine(TestPaths.NewTempDirectory(), "pytorch");
        ml.Model.ExportToPyTorch(first, export);

        // A learning rate of 1e-30 leaves the weights where they started: the backbone must be the export's.
        var continued = ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { ModelDirectory = export, Config = null, Epochs = 1, LearningRate = 1e-30 }).Fit(data);
        var exported = SafeTensorsFile.Read(Path.Combine(export, "model.safetensors"));
        var started = SafeTensorsFile.Read(continued.Model.Package.Weights!, "continued");
        foreach (var name in exported.Keys.Where(n => n.StartsWith(PyTorchLayout.BackbonePrefix, StringComparison.Ordinal)))
            Assert.True(exported[name].ToFloat32().Zip(started[name].ToFloat32()).All(p => Math.Abs(p.First - p.Second) <= 1e-7), $"{name} was not loaded from the export");

        // A model without a CLUE task comes back as its GAU transformer alone, over its text column.
        var loaded = new MLContext().Model.LoadGauModel(export, out var schema);
        Assert.IsType<GauTextClassificationTransformer>(loaded);
        Assert.NotNull(schema.GetColumnOrNull("Sentence"));
        Assert.True(MaxDifference(Vectors(first.Transform(data), "Score"), Vectors(loaded.Transform(data), "Score")) <= 1e-5);
    }

    [Fact]
    public void DamagedOrInconsistentExportsAreRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(32, 4));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var model = ml.MulticlassClassification.Trainers.GauTextClassification(Quick with { Epochs = 1 }).Fit(data);
        string root = TestPaths.NewTempDirectory();
        string Export()
        {
            string dir = Path.Combine(root, Guid.NewGuid().ToString("N"));
            ml.Model.ExportToPyTorch(model, dir);
            return dir;
        }

        // Python-facing fields that disagree with gau_task (here the labels) are refused, naming the field; so is a manifest mismatch.
        string edited = Export();
        string descriptionPath = Path.Combine(edited, "gaumlnet.json");
        var node = JsonNode.Parse(File.ReadAllText(descriptionPath))!;
        node["labels"] = new JsonArray("negative", "positive", "other");
        File.WriteAllText(descriptionPath, node.ToJsonString());
        File.Delete(Path.Combine(edited, "manifest.json"));
        var disagreement = Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadGauModel(edited, out _));
        Assert.Contains("'labels'", disagreement.Message);
        Assert.Contains("gau_task", disagreement.Message);

        string damaged = Export();
        var weights = File.ReadAllBytes(Path.Combine(damaged, "model.safetensors"));
        weights[^3] ^= 0x5A;
        File.WriteAllBytes(Path.Combine(damaged, "model.safetensors"), weights);
        var integrity = Assert.Throws<IntegrityException>(() => new MLContext().Model.LoadGauModel(damaged, out _));
        Assert.Equal("model.safetensors", integrity.Entry);

        // A head parameter the description lists but the weights lack.
        string headless = Export();
        var tensors = SafeTensorsFile.Read(Path.Combine(headless, "model.safetensors")).Where(kv => kv.Key != "head.classifier.bias");
        File.WriteAllBytes(Path.Combine(headless, "model.safetensors"), SafeTensorsFile.ToBytes(tensors));
        File.Delete(Path.Combine(headless, "manifest.json"));
        var missing = Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadGauModel(headless, out _));
        Assert.Contains("head.classifier.bias", missing.Message);

        // Exports never land in a folder holding other files, and a re-export replaces an earlier one whole.
        string occupied = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(occupied, "notes.txt"), "mine");
        Assert.Throws<IOException>(() => ml.Model.ExportToPyTorch(model, occupied));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(occupied, "notes.txt")));
        string again = Export();
        ml.Model.ExportToPyTorch(model, again);
        Assert.DoesNotContain(Directory.GetDirectories(root), d => Path.GetFileName(d).StartsWith('.'));
    }

    [Fact]
    public void GauExportFormatPyTorchThenEvaluateReadsTheFolderAndACheckpointExportsWithItsMlmHead()
    {
        string work = TestPaths.NewTempDirectory();
        // A sixth of the bundled sentiment rows: seconds to train, both labels present.
        string sample = Path.Combine(TestPaths.RepositoryRoot, "samples", "data", "sentiment");
        string data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        File.WriteAllLines(Path.Combine(data, "train.json"), File.ReadAllLines(Path.Combine(sample, "train.json")).Where((_, i) => i % 6 == 0));
        File.WriteAllLines(Path.Combine(data, "dev.json"), File.ReadAllLines(Path.Combine(sample, "dev.json")).Where((_, i) => i % 5 == 0));
        var train = Gau("train", "--task", "eprstmt", "--data", data, "--config", "tiny", "--epochs", "1", "--max-length", "32", "--output", Path.Combine(work, "train"), "--device", "cpu");
        Assert.True(train.Code == 0, train.Err);
        string export = Path.Combine(work, "pytorch");
        var exported = Gau("export", "--format", "pytorch", "--model", Path.Combine(work, "train"), "--output", export);
        Assert.True(exported.Code == 0, exported.Err);
        Assert.Contains("head.classifier.bias, head.classifier.weight", exported.Out);

        var original = Gau("evaluate", "--task", "eprstmt", "--data", data, "--model", Path.Combine(work, "train"), "--scores", Path.Combine(work, "a.jsonl"));
        var imported = Gau("evaluate", "--task", "eprstmt", "--data", data, "--model", export, "--scores", Path.Combine(work, "b.jsonl"));
        Assert.True(imported.Code == 0, imported.Err);
        Assert.Equal(original.Out.Split(" over ")[0], imported.Out.Split(" over ")[0]); // same accuracy and log-loss line
        var (a, b) = (File.ReadAllLines(Path.Combine(work, "a.jsonl")), File.ReadAllLines(Path.Combine(work, "b.jsonl")));
        Assert.Equal(60, a.Length);
        Assert.Equal(a, b); // the same ids, labels and probabilities, to the last printed digit

        var bogus = Gau("export", "--format", "tensorflow", "--model", export, "--output", Path.Combine(work, "x"));
        Assert.Equal(ExitCodes.Usage, bogus.Code);
        Assert.Contains("--format: 'tensorflow' is not a format", bogus.Err);

        // A pretraining checkpoint goes out with its MLM head; ML.NET refuses to load it as a fitted model and says what it is for.
        string tiny = Path.Combine(work, "tiny");
        Directory.CreateDirectory(tiny);
        foreach (string file in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(TestPaths.TinyModel, file), Path.Combine(tiny, file));
        File.WriteAllLines(Path.Combine(tiny, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(5, 295).Select(i => $"t{i}")]);
        string checkpoint = Path.Combine(work, "mlm");
        var mlm = Gau("export", "--format", "pytorch", "--model", tiny, "--output", checkpoint);
        Assert.True(mlm.Code == 0, mlm.Err);
        Assert.Equal("masked_lm", JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "gaumlnet.json")))!["task"]!.GetValue<string>());
        var refused = Assert.Throws<InvalidDataException>(() => new MLContext().Model.LoadGauModel(checkpoint, out _));
        Assert.Contains("pretraining checkpoint", refused.Message);
    }

    [Fact]
    public void GauEvaluateClueNerScoresWritesEachWindowsTokenIdsAndRawTagScoresTheSameBeforeAndAfterExport()
    {
        string work = TestPaths.NewTempDirectory();
        string sample = Path.Combine(TestPaths.RepositoryRoot, "samples", "data", "entities");
        string data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        File.WriteAllLines(Path.Combine(data, "train.json"), File.ReadAllLines(Path.Combine(sample, "train.json")).Where((_, i) => i % 4 == 0));
        var dev = File.ReadAllLines(Path.Combine(sample, "dev.json")).Take(30).ToArray();
        File.WriteAllLines(Path.Combine(data, "dev.json"), dev);
        // --max-length 12: windows of 10 tokens, so the sample's longer sentences are split into overlapping windows.
        var train = Gau("train", "--task", "cluener", "--head", "crf", "--data", data, "--config", "tiny", "--epochs", "1", "--max-length", "12",
            "--output", Path.Combine(work, "train"), "--device", "cpu");
        Assert.True(train.Code == 0, train.Err);
        string export = Path.Combine(work, "pytorch");
        Assert.Equal(0, Gau("export", "--format", "pytorch", "--model", Path.Combine(work, "train"), "--output", export).Code);

        var original = Gau("evaluate", "--task", "cluener", "--data", data, "--model", Path.Combine(work, "train"), "--scores", Path.Combine(work, "a.jsonl"));
        var imported = Gau("evaluate", "--task", "cluener", "--data", data, "--model", export, "--scores", Path.Combine(work, "b.jsonl"));
        Assert.True(original.Code == 0, original.Err);
        Assert.True(imported.Code == 0, imported.Err);
        var (a, b) = (File.ReadAllLines(Path.Combine(work, "a.jsonl")), File.ReadAllLines(Path.Combine(work, "b.jsonl")));
        Assert.Equal(a, b); // the same windows, ids and raw scores, to the last printed digit
        var windows = a.Select(l => JsonNode.Parse(l)!).ToList();
        Assert.True(windows.Count > dev.Length, $"{windows.Count} windows of {dev.Length} sentences: none was split");
        Assert.Equal(dev.Length, windows.Select(w => w["id"]!.GetValue<string>()).Distinct().Count());
        const int tags = 15; // O + B/I of the sample's 7 entity types
        foreach (var w in windows)
        {
            var ids = w["input_ids"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray();
            int values = w["outputs"]!.AsArray().Count;
            Assert.InRange(ids.Length, 3, 12);
            Assert.Equal((2, 3), (ids[0], ids[^1])); // [CLS] … [SEP] of the sample's vocabulary
            Assert.True(values % tags == 0 && values / tags >= ids.Length, $"{values} raw scores for {ids.Length} tokens");
        }
    }

    private static (int Code, string Out, string Err) Gau(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = GauCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
