using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using GauMLNet.Tests.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Faults;

/// <summary>
/// Issue #12 7b: a saved ML.NET model.zip holding a GAU transformer, its GAUF blob and the model package files with
/// their manifest, on seeded corruptions. A corrupted model either fails with a documented exception or — when the
/// corruption hit bytes that do not matter, such as the zip comment — predicts exactly as the original: it never
/// loads different weights silently.
/// </summary>
public sealed class ModelFileCorruptionTests(ITestOutputHelper output, ModelFileCorruptionTests.SavedModel saved)
    : IClassFixture<ModelFileCorruptionTests.SavedModel>
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(5);

    /// <summary>A one-layer classifier trained for one epoch on a few rows, saved once.</summary>
    public sealed class SavedModel
    {
        public SavedModel()
        {
            var ml = new MLContext(seed: 1);
            var raw = ml.Data.LoadFromEnumerable(SyntheticText.Sentences(32, seed: 12));
            var options = TextClassificationTests.Options with { Config = TextClassificationTests.TestConfig with { NumHiddenLayers = 1 }, Epochs = 1 };
            using var model = ml.Transforms.Conversion.MapValueToKey("Label")
                .Append(ml.MulticlassClassification.Trainers.GauTextClassification(options))
                .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
                .Fit(raw);
            Path = System.IO.Path.Combine(TestPaths.NewTempDirectory(), "model.zip");
            ml.Model.Save(model, raw.Schema, Path);
            Bytes = File.ReadAllBytes(Path);
            Files = model.OfType<GauTextClassificationTransformer>().Single().Model.Package.ToFiles();
            Expected = Predict(Path);
        }

        public string Path { get; }
        public byte[] Bytes { get; }
        public IReadOnlyDictionary<string, byte[]> Files { get; }
        public string Expected { get; }
    }

    private static readonly List<SentenceRow> Rows = SyntheticText.Sentences(6, seed: 77);

    /// <summary>Every score bit and label of a few rows, as one string.</summary>
    private static string Predict(string path)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Model.LoadGauModel(path, out _);
        try
        {
            var scored = model.Transform(ml.Data.LoadFromEnumerable(Rows));
            var scores = scored.GetColumn<VBuffer<float>>("Score").Select(v => string.Join(",", v.DenseValues().Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8"))));
            return string.Join(";", scores.Zip(scored.GetColumn<string>("PredictedLabel"), (s, l) => $"{l}:{s}"));
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private void LoadZip(byte[] bytes, string path)
    {
        File.WriteAllBytes(path, bytes);
        string predicted = Predict(path);
        if (predicted != saved.Expected)
            throw new Xunit.Sdk.XunitException($"a corrupted model.zip loaded and predicts differently:\n  expected {saved.Expected}\n  got      {predicted}");
    }

    private static Dictionary<string, byte[]> Unzip(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.ToDictionary(e => e.FullName, e => { using var s = e.Open(); using var m = new MemoryStream(); s.CopyTo(m); return m.ToArray(); });
    }

    private static byte[] Zip(IEnumerable<KeyValuePair<string, byte[]>> entries)
    {
        using var m = new MemoryStream();
        using (var z = new ZipArchive(m, ZipArchiveMode.Create))
            foreach (var (name, bytes) in entries)
            {
                using var s = z.CreateEntry(name).Open();
                s.Write(bytes);
            }
        return m.ToArray();
    }

    [Fact]
    public void ACorruptedModelZipFailsOrPredictsExactlyAsTheOriginal()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "model.zip");
        var battery = new CorruptionBattery("ML.NET model.zip", output) { AllocationAllowance = 256L << 20 };
        byte[] original = saved.Bytes;
        int eocd = original.AsSpan().LastIndexOf((byte[])[0x50, 0x4b, 0x05, 0x06]);
        int central = BitConverter.ToInt32(original, eocd + 16);
        var offsets = new List<int> { 0, 8, 14, 18, 22, 26, 28, 30, central, central + 10, central + 16, central + 20, central + 24, central + 28, central + 42, eocd, eocd + 8, eocd + 10, eocd + 12, eocd + 16, eocd + 20 };
        battery.Run(original, 1270, iterations: 400, Cap, b => LoadZip(b, path), offsets);
        battery.Check("a zip comment added", [.. original[..(eocd + 20)], 5, 0, .. "hello"u8], b => LoadZip(b, path));
        foreach (var m in FuzzRegressions.Inputs("model-zip")) battery.Check(m.Description, m.Bytes, b => LoadZip(b, path));
        battery.AssertContract();
    }

    /// <summary>Offsets of the GAUF framing inside the model entry: the magic, the count, each name and length.</summary>
    private static (string Entry, byte[] Bytes, List<int> Offsets) GaufEntry(byte[] zip)
    {
        var (name, bytes) = Unzip(zip).Single(kv => kv.Value.AsSpan().IndexOf("FUAG"u8) >= 0);
        int at = bytes.AsSpan().IndexOf("FUAG"u8);
        var offsets = new List<int> { 0, at, at + 4 };
        using var reader = new BinaryReader(new MemoryStream(bytes, at + 4, bytes.Length - at - 4));
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            offsets.Add(at + 4 + (int)reader.BaseStream.Position);
            reader.ReadString();
            offsets.Add(at + 4 + (int)reader.BaseStream.Position);
            long length = reader.ReadInt64();
            reader.BaseStream.Position += length;
        }
        return (name, bytes, offsets);
    }

    [Fact]
    public void ACorruptedGaufBlobInAValidZipFailsOrPredictsExactlyAsTheOriginal()
    {
        // The model entry corrupted and the zip rewritten with fresh CRCs: the corruption reaches ModelFiles and the manifest.
        string path = Path.Combine(TestPaths.NewTempDirectory(), "model.zip");
        var battery = new CorruptionBattery("GAUF blob in model.zip", output) { AllocationAllowance = 256L << 20 };
        var entries = Unzip(saved.Bytes);
        var (name, blob, offsets) = GaufEntry(saved.Bytes);
        byte[] Rezip(byte[] b) => Zip(entries.Select(kv => kv.Key == name ? KeyValuePair.Create(kv.Key, b) : kv));
        battery.Run(blob, 1280, iterations: 300, Cap, b => LoadZip(Rezip(b), path), offsets);
        foreach (var m in FuzzRegressions.Inputs("gauf")) battery.Check(m.Description, m.Bytes, b => LoadZip(Rezip(b), path));
        battery.AssertContract();
    }

    private static GauModelPackage FromFiles(IReadOnlyDictionary<string, byte[]> files) => GauModelPackage.FromFiles(files, "fuzz package");

    private static byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    [Fact]
    public void CorruptedPackageMembersAndManifestsAreRefused()
    {
        var battery = new CorruptionBattery("model package + manifest", output);
        var files = saved.Files;
        Dictionary<string, byte[]> With(string name, byte[]? bytes)
        {
            var copy = files.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            if (bytes is null) copy.Remove(name);
            else copy[name] = bytes;
            return copy;
        }
        // Every member corrupted in place: the manifest refuses each one.
        int seed = 1290;
        foreach (var (name, bytes) in files.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var mutator = new Mutator(bytes, seed++);
            foreach (var m in mutator.Truncations().Concat(Enumerable.Range(0, 120).Select(_ => mutator.Next())))
                battery.Check($"{name}: {m.Description}", m.Bytes, b =>
                {
                    var package = FromFiles(With(name, b));
                    if (name != FileManifest.FileName || !package.Members.SequenceEqual(FromFiles(files).Members))
                        throw new Xunit.Sdk.XunitException($"a package with a corrupted {name} loaded");
                });
            battery.Check($"{name} removed", [], _ => FromFiles(With(name, null)));
        }
        battery.Check("an extra member", [], _ => FromFiles(With("model.onnx", [1, 2, 3])));

        // The manifest's JSON forged field by field.
        var manifest = JsonNode.Parse(files[FileManifest.FileName])!.AsObject();
        var random = new Random(1299);
        JsonNode?[] hostile = [null, -1, 0, long.MaxValue, 1.5, "x", new string('a', 64), new JsonArray(), new JsonObject(), true];
        for (int i = 0; i < 300; i++)
        {
            var forged = manifest.DeepClone().AsObject();
            var members = forged["files"]!.AsObject();
            string member = members.Select(kv => kv.Key).ElementAt(random.Next(members.Count));
            string what;
            switch (random.Next(6))
            {
                case 0: forged.Remove("files"); what = "files removed"; break;
                case 1: forged["files"] = hostile[random.Next(hostile.Length)]?.DeepClone(); what = $"files = {forged["files"]?.ToJsonString()}"; break;
                case 2: members.Remove(member); what = $"{member} unlisted"; break;
                case 3:
                    {
                        string field = random.Next(2) == 0 ? "sha256" : "bytes";
                        members[member]![field] = hostile[random.Next(hostile.Length)]?.DeepClone();
                        what = $"{member}.{field} = {members[member]![field]?.ToJsonString()}";
                        break;
                    }
                case 4:
                    {
                        string renamed = new[] { "../" + member, "/dev/zero", "", ".", "..", "a/" + member, member.ToUpperInvariant(), "/etc/passwd", "con" }[random.Next(9)];
                        var entry = members[member]!.DeepClone();
                        members.Remove(member);
                        members[renamed] = entry;
                        what = $"{member} listed as '{renamed}'";
                        break;
                    }
                default:
                    {
                        forged["format"] = hostile[random.Next(hostile.Length)]?.DeepClone();
                        what = $"format = {forged["format"]?.ToJsonString()}";
                        break;
                    }
            }
            byte[] bytes = Json(forged);
            battery.Check($"seed 1299, {i}: manifest {what}", bytes, b =>
            {
                var package = FromFiles(With(FileManifest.FileName, b));
                if (!package.Members.SequenceEqual(FromFiles(files).Members)) throw new Xunit.Sdk.XunitException("a forged manifest let other members load");
            });
        }
        string duplicated = Encoding.UTF8.GetString(files[FileManifest.FileName]).Replace("\"files\": {", "\"files\": {\"vocab.txt\": {\"sha256\": \"" + new string('0', 64) + "\", \"bytes\": 1},");
        battery.Check("manifest with a duplicated member", Encoding.UTF8.GetBytes(duplicated), b => FromFiles(With(FileManifest.FileName, b)));
        battery.AssertContract();
    }

    [Fact]
    public void APackageDirectoryWhoseManifestNamesFilesOutsideItIsRefused()
    {
        var battery = new CorruptionBattery("model package directory", output);
        foreach (string name in new[] { "../outside.txt", "/dev/zero", "/proc/self/mem", "sub/vocab.txt", "", "..", "." })
        {
            string directory = TestPaths.NewTempDirectory();
            foreach (var (member, bytes) in saved.Files) File.WriteAllBytes(Path.Combine(directory, member), bytes);
            File.WriteAllText(Path.Combine(directory, "..", "outside.txt"), "outside");
            var manifest = JsonNode.Parse(saved.Files[FileManifest.FileName])!.AsObject();
            manifest["files"]![name] = new JsonObject { ["sha256"] = new string('0', 64), ["bytes"] = 7 };
            File.WriteAllBytes(Path.Combine(directory, FileManifest.FileName), Json(manifest));
            battery.Check($"manifest lists '{name}'", [], _ => GauModelPackage.LoadDirectory(directory));
        }
        battery.AssertContract();
    }

    [Fact]
    public void PackageMembersCorruptedBehindAForgedManifestLoadOrAreRefused()
    {
        // A hostile package: a member changed and the manifest recomputed to match, so only the parsers stand guard.
        var battery = new CorruptionBattery("model package members behind a forged manifest", output);
        var members = saved.Files.Where(kv => kv.Key != FileManifest.FileName).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        void Load(string name, byte[] bytes)
        {
            var files = new Dictionary<string, byte[]>(members, StringComparer.Ordinal) { [name] = bytes };
            files[FileManifest.FileName] = FileManifest.Of(files).ToBytes();
            var package = FromFiles(files);
            if (package.Weights is not null) SafeTensorsFile.Read(package.Weights, "weights");
        }
        int seed = 1300;
        foreach (string name in new[] { GauTaskSpec.FileName, CheckpointFiles.ConfigFile, CheckpointFiles.VocabFile, CheckpointFiles.WeightsFile })
        {
            var mutator = new Mutator(members[name], seed++);
            foreach (var m in mutator.Truncations().Concat(Enumerable.Range(0, 150).Select(_ => mutator.Next())))
                battery.Check($"{name}: {m.Description}", m.Bytes, b => Load(name, b));
        }
        var random = new Random(1310);
        JsonNode?[] hostile = [null, -1, 0, int.MaxValue, long.MaxValue, 1.5, "x", new JsonArray(), new JsonObject(), new JsonArray(null, 1), true, 99];
        foreach (string name in new[] { GauTaskSpec.FileName, CheckpointFiles.ConfigFile })
        {
            var json = JsonNode.Parse(members[name])!.AsObject();
            var keys = json.Select(kv => kv.Key).ToList();
            for (int i = 0; i < 150; i++)
            {
                var forged = json.DeepClone().AsObject();
                string key = keys[random.Next(keys.Count)];
                if (random.Next(3) == 0) forged.Remove(key);
                else forged[key] = hostile[random.Next(hostile.Length)]?.DeepClone();
                battery.Check($"seed 1310, {name} {key} = {(forged.ContainsKey(key) ? forged[key]?.ToJsonString() ?? "null" : "(removed)")}", Json(forged), b => Load(name, b));
            }
        }
        battery.AssertContract();
    }
}
