using System.IO.Compression;
using System.Text;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.Clue;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using GauMLNet.Tests.Support;

namespace GauMLNet.Fuzz;

/// <summary>The fuzz targets, by name; seeds come from the repository's fixtures (and ../shared when it is there).</summary>
internal static class Targets
{
    public static IReadOnlyDictionary<string, Target> All { get; } = WithTextReaders(new Dictionary<string, Target>(StringComparer.Ordinal)
    {
        // safetensors bytes (Core's SafeTensorsFile), then every tensor made a libtorch tensor (the torch side).
        ["safetensors"] = new(SafeTensorsSeeds, input =>
        {
            foreach (var raw in SafeTensorsFile.Read(input, "fuzz.safetensors").Values) SafeTensors.ToTensor(raw).Dispose();
        }),
        // A TensorFlow .index (LevelDB table + BundleHeader/BundleEntry protos) beside fixed data shards; ReadAll reads the tensors.
        // Block checksums are recomputed first (LevelDbChecksums), or nearly every mutation would stop at the CRC-32C check.
        ["tf-index"] = new(TensorFlowSeeds, input =>
        {
            File.WriteAllBytes(TensorFlow.Prefix + ".index", LevelDbChecksums.Repair(input));
            foreach (var t in TensorFlowCheckpoint.Open(TensorFlow.Prefix).ReadAll().Values) t.Dispose();
        }),
        // data.pkl of a torch.save zip, zipped with the fixture's storages: the allow-listed unpickler and tensor rebuilding.
        ["pickle"] = new(PickleSeeds, input =>
        {
            File.WriteAllBytes(Pickle.Path, Pickle.Zip(input));
            foreach (var t in TorchPickleReader.Load(Pickle.Path).Values) t.Dispose();
        }),
        // The GAUF blob of an ML.NET model entry: ModelFiles framing, the manifest, gau-task.json, config.json, vocab.txt, the weights' header.
        ["gauf"] = new(GaufSeeds, input =>
        {
            using var reader = new BinaryReader(new MemoryStream(input, writable: false));
            var package = GauModelPackage.FromFiles(ModelFiles.Read(reader), "fuzz model entry");
            if (package.Weights is { } weights) SafeTensorsFile.Read(weights, "fuzz weights");
        }),
        // A CLUE JSON-lines file: the first byte picks the task and the options, the rest is the file.
        ["clue"] = new(ClueSeeds, input =>
        {
            if (input.Length == 0) return;
            var tasks = ClueTask.All.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
            File.WriteAllBytes(Clue.Path, input[1..]);
            ClueDataReader.Read(Clue.Path, tasks[input[0] % tasks.Length], requireLabels: (input[0] & 0x80) != 0, skipBadLines: (input[0] & 0x40) != 0);
        }),
    });

    /// <summary>The JSON and text readers' targets (in the scratch folder: <see cref="Scratch"/> is not yet set when All is built).</summary>
    private static Dictionary<string, Target> WithTextReaders(Dictionary<string, Target> targets)
    {
        foreach (var t in new Tests.Faults.TextReaderTargets(Fixture(), CreateScratch()).All())
            targets.Add(t.Name, new Target(() => t.Seeds().Concat(Regressions(t.Name)), t.Load));
        return targets;
    }

    /// <summary>A scratch folder in memory (/dev/shm when there is one) for the readers that take a path.</summary>
    private static readonly string Scratch = CreateScratch();

    private static string CreateScratch()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string dir = Path.Combine(root, $"gaumlnet-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string RepositoryRoot
    {
        get
        {
            foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                    if (File.Exists(Path.Combine(dir.FullName, "GauMLNet.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("GauMLNet.sln not found above the current directory or the harness");
        }
    }

    private static string Fixture(params string[] parts) => Path.Combine([RepositoryRoot, "tests", "GauMLNet.Tests", "Fixtures", .. parts]);

    private static string? Shared(params string[] parts)
    {
        string path = Path.Combine([RepositoryRoot, "..", "shared", .. parts]);
        return File.Exists(path) || Directory.Exists(path) ? path : null;
    }

    private static IEnumerable<(string, byte[])> Regressions(string target)
    {
        string folder = Fixture("fuzz-regressions", target);
        return Directory.Exists(folder) ? Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(f => ("regression-" + Path.GetFileName(f), File.ReadAllBytes(f))) : [];
    }

    private static IEnumerable<(string, byte[])> SafeTensorsSeeds()
    {
        yield return ("tiny-model", File.ReadAllBytes(Fixture("gau-alpha-tiny", "model.safetensors")));
        var small = new Dictionary<string, RawTensor>
        {
            ["a"] = RawTensor.FromFloat32([1, 2, 3, 4, 5, 6], 2, 3),
            ["b"] = new("I64", [2], new byte[16]),
            ["c"] = new("BF16", [0, 4], []),
            ["d"] = new("U8", [], [7]),
        };
        yield return ("small", SafeTensorsFile.ToBytes(small, new Dictionary<string, string> { ["format"] = "pt" }));
        foreach (var r in Regressions("safetensors")) yield return r;
    }

    private static class TensorFlow
    {
        public static readonly string Prefix = Path.Combine(Scratch, "fuzz.ckpt");

        public static readonly TensorFlowCheckpointWriter.Entry[] Entries =
        [
            new("layer_0/kernel", TensorFlowCheckpointWriter.Float, [2, 3], TensorFlowCheckpointWriter.Floats(Enumerable.Range(0, 6).Select(i => (float)i))),
            new("layer_0/bias", TensorFlowCheckpointWriter.Float, [3], TensorFlowCheckpointWriter.Floats([1f, 2f, 3f])),
            new("global_step", TensorFlowCheckpointWriter.Int64, [], BitConverter.GetBytes(42L)),
        ];

        /// <summary>Writes the seed checkpoint (one and two shards) so the index under test has data files beside it.</summary>
        static TensorFlow()
        {
            TensorFlowCheckpointWriter.Write(Prefix, Entries, shards: 2, blockPerEntry: true);
            TensorFlowCheckpointWriter.Write(Prefix, Entries, shards: 1);
        }

        public static byte[] Index(int shards, bool blockPerEntry)
        {
            string prefix = Path.Combine(Scratch, $"seed-{shards}-{blockPerEntry}.ckpt");
            TensorFlowCheckpointWriter.Write(prefix, Entries, shards, blockPerEntry);
            return File.ReadAllBytes(prefix + ".index");
        }
    }

    private static IEnumerable<(string, byte[])> TensorFlowSeeds()
    {
        yield return ("one-shard", TensorFlow.Index(1, blockPerEntry: false));
        yield return ("two-shards-block-per-entry", TensorFlow.Index(2, blockPerEntry: true));
        foreach (string name in new[] { "model", "fc2" })
            if (Shared("fixtures", "tf-checkpoints", name, name + ".ckpt.index") is { } real) yield return ("shared-" + name, File.ReadAllBytes(real));
        foreach (var r in Regressions("tf-index")) yield return r;
    }

    private static class Pickle
    {
        public static readonly string Path = System.IO.Path.Combine(Scratch, "pytorch_model.bin");
        private static readonly Dictionary<string, byte[]> Entries = ReadFixture();
        private static readonly string PickleName = Entries.Keys.Single(k => k.EndsWith("data.pkl", StringComparison.Ordinal));

        public static byte[] Program => Entries[PickleName];

        private static Dictionary<string, byte[]> ReadFixture()
        {
            using var zip = ZipFile.OpenRead(Fixture("gau-alpha-tiny", "pytorch_model.bin"));
            return zip.Entries.ToDictionary(e => e.FullName, e => { using var s = e.Open(); using var m = new MemoryStream(); s.CopyTo(m); return m.ToArray(); });
        }

        public static byte[] Zip(byte[] program)
        {
            using var m = new MemoryStream();
            using (var z = new ZipArchive(m, ZipArchiveMode.Create))
                foreach (var (name, bytes) in Entries)
                {
                    using var s = z.CreateEntry(name, CompressionLevel.NoCompression).Open();
                    s.Write(name == PickleName ? program : bytes);
                }
            return m.ToArray();
        }
    }

    private static IEnumerable<(string, byte[])> PickleSeeds()
    {
        yield return ("tiny-model-data.pkl", Pickle.Program);
        foreach (var r in Regressions("pickle-program")) yield return r;
    }

    private static IEnumerable<(string, byte[])> GaufSeeds()
    {
        // The legacy (format 1, no manifest) model's entry, and the same package as format 2 with its manifest.
        byte[] legacy = Tests.Faults.TextReaderTargets.LegacyGaufBlob(Fixture());
        yield return ("legacy-format1", legacy);
        var package = GauModelPackage.FromFiles(ModelFiles.Read(new BinaryReader(new MemoryStream(legacy))), "legacy");
        using var current = new MemoryStream();
        using (var writer = new BinaryWriter(current, Encoding.UTF8, leaveOpen: true)) ModelFiles.Write(writer, package.With(package.Spec).ToFiles());
        yield return ("format2", current.ToArray());
        foreach (var r in Regressions("gauf")) yield return r;
    }

    private static class Clue
    {
        public static readonly string Path = System.IO.Path.Combine(Scratch, "train.json");
    }

    private static readonly Dictionary<string, string[]> ClueLines = new()
    {
        ["afqmc"] = ["""{"sentence1": "花呗怎么还款", "sentence2": "花呗如何还钱", "label": "1", "id": 1}"""],
        ["tnews"] = ["""{"label": "102", "label_desc": "news_entertainment", "sentence": "电影上映", "keywords": "", "id": 3}""", """{"label": 103, "sentence": "球赛", "id": 4}"""],
        ["ocnli"] = ["""{"sentence1": "他来了", "sentence2": "他到了", "label": "entailment", "id": 7}""", """{"sentence1": "a", "sentence2": "b", "label": "-", "id": 8}"""],
        ["csl"] = ["""{"id": 1, "abst": "本文研究图像分割。", "keyword": ["图像", "分割"], "label": "1"}"""],
        ["cluewsc"] = ["""{"target": {"span2_index": 6, "span1_index": 0, "span1_text": "小明", "span2_text": "他"}, "idx": 4, "label": "true", "text": "小明很高兴，他赢了。"}"""],
        ["eprstmt"] = ["""{"id": 1, "sentence": "很好", "label": "Positive"}"""],
        ["csldcp"] = ["""{"content": "一篇论文", "label": "材料科学与工程", "idx": 1}"""],
    };

    private static IEnumerable<(string, byte[])> ClueSeeds()
    {
        var tasks = ClueTask.All.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => t.Name).ToList();
        foreach (var (task, lines) in ClueLines)
        {
            byte selector = (byte)(tasks.IndexOf(task) | 0x80);
            yield return (task, [selector, .. Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n")]);
        }
        foreach (var r in Regressions("clue")) yield return r;
    }
}
