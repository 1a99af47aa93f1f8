using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace GauMLNet.Checkpoints;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}, then the raw bytes.
/// Every offset, size and overlap is checked, so a truncated or corrupt file fails with its name
/// and the tensor at fault instead of producing garbage.
/// </summary>
public static class SafeTensors
{
    private const long MaxHeaderBytes = 100L << 20;

    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    /// <summary>Reads the header only: names, dtypes, shapes.</summary>
    public static IReadOnlyList<Entry> ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path, out _, out _);
    }

    /// <summary>Reads every tensor onto the CPU in its stored dtype.</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path, out metadata);
    }

    /// <summary>Reads every tensor from a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static Dictionary<string, Tensor> Load(Stream stream, string source, out Dictionary<string, string> metadata)
    {
        string path = source;
        var entries = ReadHeader(stream, path, out long dataStart, out metadata);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            TensorDType.TryParse(entry.DType, out var type, out _);
            var buffer = new byte[entry.End - entry.Begin];
            stream.Position = dataStart + entry.Begin;
            stream.ReadExactly(buffer);
            var tensor = empty(entry.Shape, type);
            if (buffer.Length > 0) tensor.bytes = buffer;
            tensors.Add(entry.Name, tensor);
        }
        return tensors;
    }

    /// <summary>Writes tensors (converted to <paramref name="dtype"/> when floating point) atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType dtype = ScalarType.Float32,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var write = Serializer(tensors, dtype, metadata); // converts every tensor before the file is touched
        AtomicFile.Write(path, write);
    }

    /// <summary>Writes tensors to a stream in safetensors format.</summary>
    public static void Save(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType dtype = ScalarType.Float32,
        IReadOnlyDictionary<string, string>? metadata = null) => Serializer(tensors, dtype, metadata)(stream);

    private static Action<Stream> Serializer(IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType dtype, IReadOnlyDictionary<string, string>? metadata)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"Checkpoints are written as F32, F16 or BF16, not {dtype}.", nameof(dtype));
        var blobs = new List<(string Name, string Code, long[] Shape, byte[] Bytes)>();
        foreach (var (name, tensor) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var _ = NewDisposeScope();
            var stored = tensor.detach().cpu();
            if (stored.is_floating_point()) stored = stored.to(dtype);
            blobs.Add((name, TensorDType.Code(stored.dtype), stored.shape, stored.contiguous().bytes.ToArray()));
        }

        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        long offset = 0;
        foreach (var blob in blobs)
        {
            header[blob.Name] = new JsonObject
            {
                ["dtype"] = blob.Code,
                ["shape"] = new JsonArray(blob.Shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + blob.Bytes.Length),
            };
            offset += blob.Bytes.Length;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces
        return stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(headerBytes);
            for (int i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var blob in blobs) stream.Write(blob.Bytes);
        };
    }

    private static List<Entry> ReadHeader(Stream stream, string path, out long dataStart, out Dictionary<string, string> metadata)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw Corrupt(path, $"{fileLength} bytes is too short to hold a header");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)Math.Min(MaxHeaderBytes, fileLength - 8))
            throw Corrupt(path, $"header length {headerLength} exceeds the file ({fileLength} bytes); the file is truncated or not safetensors");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        JsonObject header;
        try { header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw Corrupt(path, "the header is empty"); }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        { throw Corrupt(path, $"the header is not a JSON object ({ex.Message})"); }

        metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (key, value) in node?.AsObject() ?? []) metadata[key] = value?.GetValue<string>() ?? "";
                continue;
            }
            entries.Add(ParseEntry(path, name, node, dataLength));
        }
        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < entries.Count; i++)
            if (entries[i].Begin < entries[i - 1].End)
                throw Corrupt(path, $"tensors '{entries[i - 1].Name}' and '{entries[i].Name}' overlap");
        return entries;
    }

    private static Entry ParseEntry(string path, string name, JsonNode? node, long dataLength)
    {
        try
        {
            var obj = node!.AsObject();
            string dtype = obj["dtype"]!.GetValue<string>();
            long[] shape = obj["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = obj["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            if (!TensorDType.TryParse(dtype, out _, out int elementSize))
                throw Corrupt(path, $"tensor '{name}' has unsupported dtype '{dtype}'");
            if (shape.Any(d => d < 0)) throw Corrupt(path, $"tensor '{name}' has a negative dimension");
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw Corrupt(path, $"tensor '{name}' has invalid data_offsets");
            if (offsets[1] > dataLength)
                throw Corrupt(path, $"tensor '{name}' ends at byte {offsets[1]} of a {dataLength}-byte data section: the file is truncated");
            long expected = shape.Aggregate(1L, (a, d) => checked(a * d)) * elementSize;
            if (offsets[1] - offsets[0] != expected)
                throw Corrupt(path, $"tensor '{name}' holds {offsets[1] - offsets[0]} bytes but {dtype}[{string.Join(", ", shape)}] needs {expected}");
            return new Entry(name, dtype, shape, offsets[0], offsets[1]);
        }
        catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or FormatException or OverflowException)
        {
            throw Corrupt(path, $"tensor '{name}' has a malformed header entry ({ex.Message})");
        }
    }

    private static InvalidDataException Corrupt(string path, string what) => new($"{path}: not a valid safetensors file: {what}.");
}
