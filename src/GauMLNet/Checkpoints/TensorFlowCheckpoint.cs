using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>
/// Reads TensorFlow V2 checkpoints (tensor_bundle): PREFIX.index, a LevelDB table whose "" entry is the
/// BundleHeaderProto and whose other entries are BundleEntryProto per tensor, and the shards
/// PREFIX.data-NNNNN-of-NNNNN holding the raw little-endian bytes. Every tensor's CRC-32C is verified.
/// No TensorFlow, no Python.
/// </summary>
public sealed class TensorFlowCheckpoint
{
    public sealed record Variable(string Name, string DType, long[] Shape, int Shard, long Offset, long Size, uint Crc32C);

    private TensorFlowCheckpoint(string prefix, int shards, IReadOnlyList<Variable> variables)
    {
        Prefix = prefix;
        Shards = shards;
        Variables = variables;
    }

    public string Prefix { get; }
    public int Shards { get; }
    public IReadOnlyList<Variable> Variables { get; }

    /// <summary>Opens a checkpoint by prefix (path/model.ckpt), by its .index file, or by a folder holding exactly one .index.</summary>
    public static TensorFlowCheckpoint Open(string path)
    {
        string prefix = ResolvePrefix(path);
        string index = prefix + ".index";
        int shards = 1;
        var variables = new List<Variable>();
        foreach (var (key, value) in LevelDbTable.ReadAll(index))
        {
            if (key.Length == 0) { shards = ParseHeader(value, index); continue; }
            variables.Add(ParseEntry(key, value, index));
        }
        foreach (var v in variables)
            if (v.Shard < 0 || v.Shard >= shards) throw new InvalidDataException($"{index}: tensor '{v.Name}' is in shard {v.Shard} of {shards}.");
        return new TensorFlowCheckpoint(prefix, shards, variables);
    }

    public static bool LooksLikeCheckpoint(string path)
    {
        try { _ = ResolvePrefix(path); return true; }
        catch (FileNotFoundException) { return false; }
    }

    public string ShardPath(int shard) => $"{Prefix}.data-{shard:D5}-of-{Shards:D5}";

    /// <summary>Reads every tensor (CPU, stored dtype), verifying each one's CRC-32C.</summary>
    public Dictionary<string, Tensor> ReadAll(Func<string, bool>? include = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var streams = new Dictionary<int, FileStream>();
        try
        {
            foreach (var v in Variables)
            {
                if (include is not null && !include(v.Name)) continue;
                if (!streams.TryGetValue(v.Shard, out var stream))
                {
                    string shardPath = ShardPath(v.Shard);
                    if (!File.Exists(shardPath)) throw new FileNotFoundException($"Checkpoint shard {shardPath} is missing.", shardPath);
                    streams[v.Shard] = stream = File.OpenRead(shardPath);
                }
                result[v.Name] = Read(v, stream);
            }
            return result;
        }
        finally
        {
            foreach (var s in streams.Values) s.Dispose();
        }
    }

    private Tensor Read(Variable v, FileStream stream)
    {
        var type = ScalarTypeOf(v.DType);
        long expected = checked(ElementCount(v.Shape) * ElementSize(type)); // ParseEntry checked that the count is addressable
        if (expected != v.Size) throw new InvalidDataException($"{Prefix}.index: tensor '{v.Name}' is {v.DType}[{string.Join(", ", v.Shape)}] but holds {v.Size} bytes.");
        if (v.Offset > stream.Length - v.Size)
            throw new InvalidDataException($"{stream.Name}: tensor '{v.Name}' ends at byte {(decimal)v.Offset + v.Size} of a {stream.Length}-byte shard: the file is truncated.");
        var bytes = new byte[v.Size];
        stream.Position = v.Offset;
        stream.ReadExactly(bytes);
        uint crc = Crc32C.Compute(bytes);
        if (crc != Crc32C.Unmask(v.Crc32C)) // stored masked, as LevelDB masks its block checksums
            throw new InvalidDataException($"{stream.Name}: tensor '{v.Name}' fails its crc32c check (stored {Crc32C.Unmask(v.Crc32C):x8}, computed {crc:x8}): the data is corrupt.");
        var tensor = empty(v.Shape, type);
        if (bytes.Length > 0) tensor.bytes = bytes;
        return tensor;
    }

    // TensorFlow DataType enum values → our names.
    private static readonly Dictionary<int, string> DTypes = new()
    {
        [1] = "F32",
        [2] = "F64",
        [3] = "I32",
        [4] = "U8",
        [5] = "I16",
        [6] = "I8",
        [9] = "I64",
        [10] = "BOOL",
        [14] = "BF16",
        [19] = "F16",
    };

    private static ScalarType ScalarTypeOf(string code) => TensorDType.ScalarTypeOf(code);

    private static int ElementSize(ScalarType type) => TensorDType.ElementSize(type);

    /// <summary>The number of elements of a shape, or null when it overflows.</summary>
    private static long? AddressableCount(long[] shape)
    {
        try { return shape.Aggregate(1L, (a, d) => checked(a * d)); }
        catch (OverflowException) { return null; }
    }

    private static long ElementCount(long[] shape) => shape.Aggregate(1L, (a, d) => a * d);

    private static int ParseHeader(byte[] value, string index)
    {
        try
        {
            var reader = new ProtoReader(value);
            ulong shards = 1;
            while (!reader.AtEnd)
            {
                var (field, wire) = reader.ReadTag();
                if (field == 1 && wire == 0) shards = reader.ReadVarint();
                else if (field == 2 && wire == 0 && reader.ReadVarint() != 0) throw new InvalidDataException($"{index}: big-endian checkpoints are not supported.");
                else if (field != 2) reader.Skip(wire);
            }
            if (shards is < 1 or > int.MaxValue) throw new InvalidDataException($"{index}: header declares {shards} shards.");
            return (int)shards;
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith(index, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{index}: the bundle header is malformed ({ex.Message}).", ex);
        }
    }

    /// <summary>A varint field that must fit an int or long; larger values are corrupt.</summary>
    private static long Bounded(ulong value, long max, string name, string field) =>
        value <= (ulong)max ? (long)value : throw new InvalidDataException($"tensor '{name}' has {field} {value}, which is out of range");

    private static Variable ParseEntry(string name, byte[] value, string index)
    {
        try
        {
            var reader = new ProtoReader(value);
            int dtype = 0, shard = 0;
            long offset = 0, size = 0;
            uint crc = 0;
            var shape = new List<long>();
            bool sliced = false;
            while (!reader.AtEnd)
            {
                var (field, wire) = reader.ReadTag();
                switch (field)
                {
                    case 1 when wire == 0: dtype = (int)Math.Min(reader.ReadVarint(), int.MaxValue); break;
                    case 2 when wire == 2: shape = ParseShape(reader.ReadBytes()); break;
                    case 3 when wire == 0: shard = (int)Bounded(reader.ReadVarint(), int.MaxValue, name, "shard"); break;
                    case 4 when wire == 0: offset = Bounded(reader.ReadVarint(), long.MaxValue, name, "offset"); break;
                    case 5 when wire == 0: size = Bounded(reader.ReadVarint(), long.MaxValue, name, "size"); break;
                    case 6 when wire == 5: crc = reader.ReadFixed32(); break;
                    case 7: sliced = true; reader.Skip(wire); break;
                    default: reader.Skip(wire); break;
                }
            }
            if (sliced) throw new InvalidDataException($"{index}: tensor '{name}' is saved in slices (partitioned variables are not supported).");
            if (!DTypes.TryGetValue(dtype, out string? code))
                throw new InvalidDataException($"{index}: tensor '{name}' has unsupported dtype {dtype} (supported: F32, F16, BF16, F64, I32, I64, I16, I8, U8, BOOL).");
            if (shape.Any(d => d < 0)) throw new InvalidDataException($"{index}: tensor '{name}' has a negative or unknown dimension in [{string.Join(", ", shape)}].");
            if (AddressableCount([.. shape]) is not { } count || count > long.MaxValue / 8)
                throw new InvalidDataException($"{index}: tensor '{name}' has a shape [{string.Join(", ", shape)}] too large to address.");
            return new Variable(name, code, [.. shape], shard, offset, size, crc);
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith(index, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{index}: entry '{name}' is malformed ({ex.Message}).", ex);
        }
    }

    private static List<long> ParseShape(ReadOnlySpan<byte> data)
    {
        var dims = new List<long>();
        var reader = new ProtoReader(data);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 2 && wire == 2)
            {
                var dim = new ProtoReader(reader.ReadBytes());
                long size = 0;
                while (!dim.AtEnd)
                {
                    var (f, w) = dim.ReadTag();
                    if (f == 1 && w == 0) size = (long)dim.ReadVarint();
                    else dim.Skip(w);
                }
                dims.Add(size);
            }
            else if (field == 3 && wire == 0 && reader.ReadVarint() != 0) throw new InvalidDataException("unknown rank");
            else if (field != 3) reader.Skip(wire);
        }
        return dims;
    }

    private static string ResolvePrefix(string path)
    {
        if (Directory.Exists(path))
        {
            var indexes = Directory.GetFiles(path, "*.index");
            if (indexes.Length != 1)
                throw new FileNotFoundException($"{path} holds {indexes.Length} .index files; name the checkpoint prefix (e.g. {Path.Combine(path, "model.ckpt")}).");
            return indexes[0][..^".index".Length];
        }
        string prefix = path.EndsWith(".index", StringComparison.Ordinal) ? path[..^".index".Length] : path;
        if (!File.Exists(prefix + ".index")) throw new FileNotFoundException($"No TensorFlow checkpoint at {path} ({prefix}.index is missing).", prefix + ".index");
        return prefix;
    }
}
