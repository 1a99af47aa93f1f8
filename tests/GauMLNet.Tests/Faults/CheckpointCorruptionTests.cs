using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Faults;

/// <summary>
/// Issue #12 7b: the checkpoint readers (safetensors as bytes and as tensors, TensorFlow V2 index and data, torch.save
/// zips) on seeded corruptions of real files. Every input loads or fails with a documented exception; seeds are fixed
/// and each target has an iteration budget and a time cap.
/// </summary>
public sealed class CheckpointCorruptionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(6);
    private static string FixtureFile(string name) => Path.Combine(TestPaths.TinyModel, name);

    /// <summary>Where a safetensors file's fields begin and end: the length prefix, the header, every tensor's bytes.</summary>
    private static List<int> SafeTensorsOffsets(byte[] file)
    {
        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var offsets = new List<int> { 0, 4, 8, 9, dataStart - 1, dataStart, file.Length - 1 };
        var header = JsonNode.Parse(file.AsSpan(8, dataStart - 8))!.AsObject();
        foreach (var (name, node) in header)
        {
            if (node?["data_offsets"] is not JsonArray o) continue;
            offsets.Add(dataStart + (int)o[0]!.GetValue<long>());
            offsets.Add(dataStart + (int)o[1]!.GetValue<long>());
        }
        string text = Encoding.UTF8.GetString(file, 8, dataStart - 8);
        for (int i = text.IndexOf('['); i >= 0 && offsets.Count < 400; i = text.IndexOf('[', i + 1)) offsets.Add(8 + Encoding.UTF8.GetByteCount(text.AsSpan(0, i + 1)));
        return offsets;
    }

    /// <summary>Structural corruptions of a safetensors header, re-serialised with a correct length prefix.</summary>
    internal static IEnumerable<Mutant> SafeTensorsHeaderMutants(byte[] file, int seed, int count)
    {
        var random = new Random(seed);
        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        byte[] data = file[dataStart..];
        string headerText = Encoding.UTF8.GetString(file, 8, dataStart - 8).TrimEnd();
        JsonNode?[] hostile =
        [
            null, -1, 0, 1, int.MaxValue, uint.MaxValue, long.MaxValue, long.MinValue, 1L << 62, 1.5, "7", true,
            new JsonArray(), new JsonObject(), data.Length, data.Length + 1, -data.Length,
        ];
        JsonNode? Hostile() => hostile[random.Next(hostile.Length)]?.DeepClone();
        Mutant Make(string what, string json)
        {
            var h = Encoding.UTF8.GetBytes(json);
            var bytes = new byte[8 + h.Length + data.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
            h.CopyTo(bytes, 8);
            data.CopyTo(bytes, 8 + h.Length);
            return new Mutant(what, bytes);
        }
        yield return Make("header []", "[]");
        yield return Make("header null", "null");
        yield return Make("header \"x\"", "\"x\"");
        yield return Make("header nested 10000 deep", new string('[', 10000) + new string(']', 10000));
        yield return Make("empty header object", "{}");
        yield return Make("__metadata__ not an object", "{\"__metadata__\": [1]}");
        yield return Make("__metadata__ value not a string", "{\"__metadata__\": {\"format\": 1}}");
        for (int i = 0; i < count; i++)
        {
            var header = JsonNode.Parse(headerText)!.AsObject();
            var names = header.Select(kv => kv.Key).Where(k => k != "__metadata__").ToList();
            string name = names[random.Next(names.Count)];
            var entry = header[name]!.AsObject();
            string field = new[] { "dtype", "shape", "data_offsets" }[random.Next(3)];
            switch (random.Next(9))
            {
                case 0:
                    entry.Remove(field);
                    yield return Make($"seed {seed}, {i}: '{name}'.{field} removed", header.ToJsonString());
                    break;
                case 1:
                    {
                        // A duplicated key: the same tensor (or one of its fields) twice, the second forged.
                        string json = header.ToJsonString();
                        string forged = $"\"{name}\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}},";
                        string dup = random.Next(2) == 0 ? "{" + forged + json[1..] : json.Replace($"\"{field}\":", $"\"{field}\":{Hostile()?.ToJsonString() ?? "null"},\"{field}\":");
                        yield return Make($"seed {seed}, {i}: duplicated key {(dup.StartsWith("{\"" + name) ? name : field)}", dup);
                        break;
                    }
                case 2:
                    entry[field] = Hostile();
                    yield return Make($"seed {seed}, {i}: '{name}'.{field} = {entry[field]?.ToJsonString() ?? "null"}", header.ToJsonString());
                    break;
                case 3:
                    {
                        var offsets = entry["data_offsets"]!.AsArray();
                        offsets[random.Next(2)] = Hostile();
                        yield return Make($"seed {seed}, {i}: '{name}'.data_offsets = {offsets.ToJsonString()}", header.ToJsonString());
                        break;
                    }
                case 4:
                    {
                        var shape = entry["shape"]!.AsArray();
                        if (shape.Count > 0) shape[random.Next(shape.Count)] = Hostile();
                        else shape.Add(Hostile());
                        yield return Make($"seed {seed}, {i}: '{name}'.shape = {shape.ToJsonString()}", header.ToJsonString());
                        break;
                    }
                case 5:
                    {
                        // A shape whose product overflows to the byte count it claims, or is huge with a zero in it.
                        bool zero = random.Next(2) == 0;
                        entry["shape"] = zero ? new JsonArray(0L, 1L << 40, 1L << 40) : new JsonArray(1L << 62, 4L);
                        if (zero) entry["data_offsets"] = new JsonArray(0L, 0L);
                        yield return Make($"seed {seed}, {i}: '{name}'.shape = {entry["shape"]!.ToJsonString()}", header.ToJsonString());
                        break;
                    }
                case 6:
                    entry["dtype"] = new[] { "F8_E4M3", "I64", "BOOL", "U8", "", "f32", "F32 " }[random.Next(7)];
                    yield return Make($"seed {seed}, {i}: '{name}'.dtype = {entry["dtype"]!.ToJsonString()}", header.ToJsonString());
                    break;
                case 7:
                    {
                        // Two tensors sharing (part of) their bytes.
                        string other = names[random.Next(names.Count)];
                        entry["data_offsets"] = header[other]!["data_offsets"]!.DeepClone();
                        entry["shape"] = header[other]!["shape"]!.DeepClone();
                        entry["dtype"] = header[other]!["dtype"]!.DeepClone();
                        yield return Make($"seed {seed}, {i}: '{name}' given the bytes of '{other}'", header.ToJsonString());
                        break;
                    }
                default:
                    {
                        var shape = new JsonArray();
                        for (int d = 0; d < 1000; d++) shape.Add(1);
                        entry["shape"] = shape;
                        yield return Make($"seed {seed}, {i}: '{name}' with a 1000-dimensional shape", header.ToJsonString());
                        break;
                    }
            }
        }
    }

    [Fact]
    public void SafeTensorsBytesReaderLoadsOrRefusesEveryCorruption()
    {
        byte[] original = File.ReadAllBytes(FixtureFile("model.safetensors"));
        var battery = new CorruptionBattery("safetensors (Core byte reader)", output);
        static void Load(byte[] b) => SafeTensorsFile.Read(b, "fuzz.safetensors");
        battery.Run(original, seed: 1201, iterations: 1000, Cap / 2, Load, SafeTensorsOffsets(original));
        foreach (var m in SafeTensorsHeaderMutants(original, seed: 1202, count: 300)) battery.Check(m.Description, m.Bytes, Load);
        foreach (var m in FuzzRegressions.Inputs("safetensors")) battery.Check(m.Description, m.Bytes, Load);
        battery.AssertContract();
    }

    [Fact]
    public void SafeTensorsTorchLoaderLoadsOrRefusesEveryCorruption()
    {
        byte[] original = File.ReadAllBytes(FixtureFile("model.safetensors"));
        var config = GauAlphaConfig.Load(FixtureFile("config.json"));
        using var model = new GauAlphaForMaskedLM(config, tiedDecoder: !SafeTensorsFile.Read(original, "fixture").ContainsKey(CheckpointFiles.DecoderWeightName));
        var battery = new CorruptionBattery("safetensors (torch loader + StateDictLoader)", output);
        void Load(byte[] b)
        {
            using var scope = NewDisposeScope();
            using var stream = new MemoryStream(b, writable: false);
            StateDictLoader.LoadStream(model, stream, "fuzz.safetensors");
        }
        battery.Run(original, seed: 1211, iterations: 400, Cap, Load, SafeTensorsOffsets(original));
        foreach (var m in SafeTensorsHeaderMutants(original, seed: 1212, count: 200)) battery.Check(m.Description, m.Bytes, Load);
        foreach (var m in FuzzRegressions.Inputs("safetensors")) battery.Check(m.Description, m.Bytes, Load);
        battery.AssertContract();
    }

    private static readonly TensorFlowCheckpointWriter.Entry[] TfEntries =
    [
        new("layer_0/kernel", TensorFlowCheckpointWriter.Float, [2, 3], TensorFlowCheckpointWriter.Floats(Enumerable.Range(0, 6).Select(i => (float)i))),
        new("layer_0/bias", TensorFlowCheckpointWriter.Float, [3], TensorFlowCheckpointWriter.Floats([1f, 2f, 3f])),
        new("global_step", TensorFlowCheckpointWriter.Int64, [], BitConverter.GetBytes(42L)),
        new("empty", TensorFlowCheckpointWriter.Float, [0, 4], []),
        new("layer_1/kernel", TensorFlowCheckpointWriter.Float, [4, 2], TensorFlowCheckpointWriter.Floats(Enumerable.Range(0, 8).Select(i => -i / 3f))),
    ];

    private static (string Prefix, IReadOnlyList<(int Offset, int Size)> Blocks) WriteTf(bool blockPerEntry)
    {
        string prefix = Path.Combine(TestPaths.NewTempDirectory(), "model.ckpt");
        TensorFlowCheckpointWriter.Write(prefix, TfEntries, shards: 2, blockPerEntry);
        // The same index again, this time keeping the block layout for checksum repair.
        var entries = TfEntries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var protos = ReadIndexValues(prefix);
        var blocks = TensorFlowCheckpointWriter.WriteIndex(prefix + ".index", protos, blockPerEntry);
        return (prefix, blocks);
    }

    private static List<(string Key, byte[] Value)> ReadIndexValues(string prefix) =>
        LevelDbTable.ReadAll(prefix + ".index").Select(kv => (kv.Key, kv.Value)).ToList();

    private static void LoadTf(string prefix)
    {
        var checkpoint = TensorFlowCheckpoint.Open(prefix);
        foreach (var t in checkpoint.ReadAll().Values) t.Dispose();
    }

    [Fact]
    public void TensorFlowIndexLoadsOrRefusesEveryCorruption()
    {
        var battery = new CorruptionBattery("TensorFlow index", output);
        foreach (bool blockPerEntry in new[] { false, true })
        {
            var (prefix, blocks) = WriteTf(blockPerEntry);
            byte[] index = File.ReadAllBytes(prefix + ".index");
            void Load(byte[] b) { File.WriteAllBytes(prefix + ".index", b); LoadTf(prefix); }
            var offsets = blocks.SelectMany(b => new[] { b.Offset, b.Offset + b.Size - 4, b.Offset + b.Size, b.Offset + b.Size + 1 })
                .Append(index.Length - 48).Append(index.Length - 8).ToList();
            int seed = blockPerEntry ? 1220 : 1230;
            battery.Run(index, seed, iterations: 300, Cap / 4, Load, offsets);
            // The same corruptions with every block checksum recomputed, so they reach the block and entry parsers.
            battery.Run(index, seed + 1, iterations: 900, Cap / 2, Load, offsets,
                repair: b => b.Length == index.Length ? TensorFlowCheckpointWriter.RepairChecksums(b, blocks) : b);
            File.WriteAllBytes(prefix + ".index", index);
        }
        foreach (var m in FuzzRegressions.Inputs("tf-index"))
        {
            string prefix = Path.Combine(TestPaths.NewTempDirectory(), "model.ckpt");
            battery.Check(m.Description, m.Bytes, b => { File.WriteAllBytes(prefix + ".index", b); LoadTf(prefix); });
        }
        battery.AssertContract();
    }

    [Fact]
    public void TensorFlowBundleEntriesWithForgedFieldsLoadOrAreRefused()
    {
        // Each BundleEntryProto (and the header) corrupted on its own, inside an index whose blocks are valid.
        var battery = new CorruptionBattery("TensorFlow BundleEntry protos", output);
        var (prefix, _) = WriteTf(blockPerEntry: false);
        var values = ReadIndexValues(prefix);
        var random = new Random(1240);
        for (int i = 0; i < values.Count; i++)
        {
            int which = i;
            var offsets = Enumerable.Range(0, values[which].Value.Length).ToList();
            var mutator = new Mutator(values[which].Value, 1241 + i, offsets);
            var inputs = mutator.Truncations().Concat(Enumerable.Range(0, 100).Select(_ => mutator.Next())).ToList();
            foreach (var m in inputs.TakeWhile(_ => battery.Within(Cap)))
            {
                var forged = values.Select((v, j) => j == which ? (v.Key, Value: m.Bytes) : v).ToList();
                battery.Check($"entry '{values[which].Key}': {m.Description}", m.Bytes, _ =>
                {
                    TensorFlowCheckpointWriter.WriteIndex(prefix + ".index", forged);
                    LoadTf(prefix);
                });
            }
        }
        // Forged fields written as valid protobuf: hostile dtypes, shard numbers, offsets, sizes and dimensions.
        ulong[] hostile = [0, 1, 4, 7, 24, 0x7fffffff, 0x80000000, 0xffffffff, 1UL << 40, 1UL << 62, long.MaxValue, ulong.MaxValue];
        for (int i = 0; i < 300 && battery.Within(Cap); i++)
        {
            var e = TfEntries[random.Next(TfEntries.Length)];
            ulong H() => hostile[random.Next(hostile.Length)];
            int field = random.Next(4);
            long[] shape = field == 0 ? [.. e.Shape.Select(_ => (long)H())] : e.Shape;
            byte[] proto = TensorFlowCheckpointWriter.BundleEntry(field == 1 ? (int)H() : e.DType, shape, field == 2 ? (int)H() : 0,
                field == 3 ? (long)H() : 0, field == 3 && random.Next(2) == 0 ? e.Data.Length : (long)H(), Crc32C.Mask(Crc32C.Compute(e.Data)));
            var forged = values.Select(v => v.Key == e.Name ? (v.Key, Value: proto) : v).ToList();
            battery.Check($"seed 1240, {i}: '{e.Name}' forged field {field}", proto, _ =>
            {
                TensorFlowCheckpointWriter.WriteIndex(prefix + ".index", forged);
                LoadTf(prefix);
            });
        }
        foreach (long shards in new long[] { 0, -1, int.MaxValue, 1L << 40 })
        {
            var forged = values.Select(v => v.Key == "" ? (v.Key, Value: TensorFlowCheckpointWriter.Header((int)shards)) : v).ToList();
            battery.Check($"header with {shards} shards", forged[0].Value, _ =>
            {
                TensorFlowCheckpointWriter.WriteIndex(prefix + ".index", forged);
                LoadTf(prefix);
            });
        }
        battery.AssertContract();
    }

    [Fact]
    public void TensorFlowDataShardsLoadOrAreRefused()
    {
        var battery = new CorruptionBattery("TensorFlow data shards", output);
        var (prefix, _) = WriteTf(blockPerEntry: true);
        foreach (int shard in new[] { 0, 1 })
        {
            string path = $"{prefix}.data-{shard:D5}-of-00002";
            byte[] data = File.ReadAllBytes(path);
            battery.Run(data, 1250 + shard, iterations: 200, Cap / 3, b => { File.WriteAllBytes(path, b); LoadTf(prefix); }, [0, 12, 24, 32]);
            File.WriteAllBytes(path, data);
        }
        File.Delete($"{prefix}.data-00001-of-00002");
        battery.Check("a missing shard", [], _ => LoadTf(prefix));
        battery.AssertContract();
    }

    [Fact]
    public void TorchPickleZipLoadsOrRefusesEveryCorruption()
    {
        byte[] original = File.ReadAllBytes(FixtureFile("pytorch_model.bin"));
        string path = Path.Combine(TestPaths.NewTempDirectory(), "pytorch_model.bin");
        var battery = new CorruptionBattery("torch pickle zip", output);
        void Load(byte[] b)
        {
            File.WriteAllBytes(path, b);
            foreach (var t in TorchPickleReader.Load(path).Values) t.Dispose();
        }
        // The zip's structure: local headers, the central directory, the end record.
        int eocd = original.AsSpan().LastIndexOf((byte[])[0x50, 0x4b, 0x05, 0x06]);
        int central = (int)BinaryPrimitives.ReadUInt32LittleEndian(original.AsSpan(eocd + 16));
        var offsets = new List<int> { 0, 14, 18, 22, 26, 28, 30, central, central + 20, central + 24, central + 42, eocd, eocd + 10, eocd + 12, eocd + 16, eocd + 20 };
        battery.Run(original, 1260, iterations: 500, Cap / 2, Load, offsets);

        // data.pkl corrupted and re-zipped, so every corruption reaches the unpickler.
        using var zip = new ZipArchive(new MemoryStream(original), ZipArchiveMode.Read);
        var entries = zip.Entries.ToDictionary(e => e.FullName, e => { using var s = e.Open(); using var m = new MemoryStream(); s.CopyTo(m); return m.ToArray(); });
        string pickleName = entries.Keys.Single(k => k.EndsWith("data.pkl", StringComparison.Ordinal));
        byte[] Rezip(byte[] pickle)
        {
            using var m = new MemoryStream();
            using (var z = new ZipArchive(m, ZipArchiveMode.Create))
                foreach (var (name, bytes) in entries)
                {
                    using var s = z.CreateEntry(name, CompressionLevel.NoCompression).Open();
                    s.Write(name == pickleName ? pickle : bytes);
                }
            return m.ToArray();
        }
        var pickleBattery = new Mutator(entries[pickleName], 1261, Enumerable.Range(0, entries[pickleName].Length).Where(i => i % 13 == 0).ToList());
        foreach (var m in pickleBattery.Truncations().TakeWhile(_ => battery.Within(Cap * 0.8))) battery.Check($"data.pkl {m.Description}", m.Bytes, b => Load(Rezip(b)));
        for (int i = 0; i < 1500 && battery.Within(Cap); i++)
        {
            var m = pickleBattery.Next();
            battery.Check($"seed 1261, iteration {i}: data.pkl {m.Description}", m.Bytes, b => Load(Rezip(b)));
        }
        foreach (var m in PickleMutants()) battery.Check(m.Description, m.Bytes, b => Load(Rezip(b)));
        foreach (var m in FuzzRegressions.Inputs("pickle")) battery.Check(m.Description, m.Bytes, Load);
        foreach (var m in FuzzRegressions.Inputs("pickle-program")) battery.Check(m.Description, m.Bytes, b => Load(Rezip(b)));
        battery.AssertContract();
    }

    /// <summary>Hand-written hostile pickles: stack underflow, wrong types, forged storage sizes and strides, bad memo keys.</summary>
    private static IEnumerable<Mutant> PickleMutants()
    {
        static byte[] P(string s) => Encoding.Latin1.GetBytes(s);
        // {'w': _rebuild_tensor_v2(storage 0 (5 floats), <rest: offset, size, stride, requires_grad>)}
        static string Tensor(string rest) =>
            "}X\u0001\0\0\0w" + "ctorch._utils\n_rebuild_tensor_v2\n" + "((X\u0007\0\0\0storage" + "ctorch\nFloatStorage\n"
            + "X\u0001\0\0\u00000" + "X\u0003\0\0\0cpu" + "K\u0005tQ" + rest + "tRs.";
        const string Storage = "(X\u0007\0\0\0storage" + "ctorch\nFloatStorage\n" + "X\u0001\0\0\u00000" + "X\u0003\0\0\0cpu" + "K\u0005tQ";
        const string Rebuild = "ctorch._utils\n_rebuild_tensor_v2\n(";
        // A rebuilt tensor of shape [5, 0] (no elements) used as the storage of another: [5] elements read from nothing.
        yield return new Mutant("a rebuilt empty tensor as another's storage", P(
            "}X\u0001\0\0\0w" + Rebuild + Rebuild + Storage + "K\0K\u0005K\0\u0086K\u0001K\u0001\u0086\u0089tR" + "K\0K\u0005\u0085K\u0001\u0085\u0089tRs."));
        yield return new Mutant("a raw storage as a state_dict value", P("}X\u0001\0\0\0w" + Storage + "s."));
        yield return new Mutant("a raw storage as a parameter", P("}X\u0001\0\0\0wctorch._utils\n_rebuild_parameter\n(" + Storage + "tRs."));
        yield return new Mutant("STOP on an empty stack", P("."));
        yield return new Mutant("SETITEM on an empty stack", P("s."));
        yield return new Mutant("APPEND to a dictionary", P("}Na."));
        yield return new Mutant("SETITEM on a list", P("]NNs."));
        yield return new Mutant("REDUCE with a non-tuple", P("ccollections\nOrderedDict\nNR."));
        yield return new Mutant("STACK_GLOBAL with non-strings", P("KK\u0093."));
        yield return new Mutant("BINGET of a missing memo", P("h\u0007."));
        yield return new Mutant("LONG_BINGET of a missing memo", P("j\u00ff\u00ff\u00ff\u00ff."));
        yield return new Mutant("BINUNICODE with a negative length", P("X\u00ff\u00ff\u00ff\u00ff."));
        yield return new Mutant("BINUNICODE longer than the program", P("X\u00ff\u00ff\u0000\u0000abc."));
        yield return new Mutant("BININT at the end", P("J\u0001"));
        yield return new Mutant("LONG1 of 255 bytes at the end", P("\u008a\u00ff"));
        yield return new Mutant("None as a key", P("}NNs."));
        yield return new Mutant("SETITEMS with None keys", P("}(NNNNu."));
        yield return new Mutant("TUPLE3 on a short stack", P("N\u0087."));
        yield return new Mutant("BUILD on an empty stack", P("b."));
        yield return new Mutant("a dictionary of non-tensors", P("}X\u0001\0\0\0aKds."));
        foreach (var (what, rest) in new[]
        {
            ("a negative size", "K\0J\u00ff\u00ff\u00ff\u00ff\u0085K\u0001\u0085\u0089"),
            ("a huge size", "K\0\u008a\u0008\0\0\0\0\0\0\0\u0040\u0085K\u0001\u0085\u0089"),
            ("a negative offset", "J\u00ff\u00ff\u00ff\u00ffK\u0002\u0085K\u0001\u0085\u0089"),
            ("a negative stride", "K\u0004K\u0003\u0085J\u00ff\u00ff\u00ff\u00ff\u0085\u0089"),
            ("a stride overflowing to a small span", "K\0K\u0003\u0085\u008a\u0008\0\0\0\0\0\0\0\u0040\u0085\u0089"),
            ("a size of the wrong rank for its stride", "K\0K\u0002K\u0002\u0086K\u0001\u0085\u0089"),
            ("a size that is not a tuple", "K\0K\u0002K\u0001\u0085\u0089"),
            ("an offset that is a string", "X\u0001\0\0\0aK\u0002\u0085K\u0001\u0085\u0089"),
        })
            yield return new Mutant($"_rebuild_tensor_v2 with {what}", P(Tensor(rest)));
    }
}
