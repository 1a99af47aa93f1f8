using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GauMLNet.Storage;

/// <summary>
/// The safetensors format as bytes: an 8-byte little-endian header length, a JSON header
/// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}, then the raw data.
/// Every offset, size and overlap is checked, so a truncated or corrupt file fails with its name
/// and the tensor at fault instead of producing garbage.
/// </summary>
internal static class SafeTensorsFile
{
    private const long MaxHeaderBytes = 100L << 20;

    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    /// <summary>Reads the header only: names, dtypes, shapes.</summary>
    public static IReadOnlyList<Entry> ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path, out _, out _);
    }

    /// <summary>Reads the header only from a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<Entry> ReadHeader(Stream stream, string source) => ReadHeader(stream, source, out _, out _);

    public static Dictionary<string, RawTensor> Read(string path) => Read(path, out _);

    public static Dictionary<string, RawTensor> Read(string path, out Dictionary<string, string> metadata)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path, out metadata);
    }

    /// <param name="select">the names to read (all when null); the data of the others is never copied</param>
    public static Dictionary<string, RawTensor> Read(byte[] bytes, string source, Func<string, bool>? select = null) =>
        Read(new MemoryStream(bytes, writable: false), source, out _, select);

    /// <summary>Reads the tensors (every one, or those <paramref name="select"/> names) from a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static Dictionary<string, RawTensor> Read(Stream stream, string source, out Dictionary<string, string> metadata, Func<string, bool>? select = null)
    {
        var entries = ReadHeader(stream, source, out long dataStart, out metadata);
        var tensors = new Dictionary<string, RawTensor>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (select is not null && !select(entry.Name)) continue;
            var buffer = new byte[entry.End - entry.Begin];
            stream.Position = dataStart + entry.Begin;
            stream.ReadExactly(buffer);
            tensors.Add(entry.Name, new RawTensor(entry.DType, entry.Shape, buffer));
        }
        return tensors;
    }

    /// <summary>Writes tensors in name order, the data 8-byte aligned.</summary>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, RawTensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        long offset = 0;
        foreach (var (name, tensor) in ordered)
        {
            header[name] = new JsonObject
            {
                ["dtype"] = tensor.DType,
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + tensor.Data.Length),
            };
            offset += tensor.Data.Length;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(headerBytes);
        for (int i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var (_, tensor) in ordered) stream.Write(tensor.Data);
    }

    public static byte[] ToBytes(IEnumerable<KeyValuePair<string, RawTensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    private static List<Entry> ReadHeader(Stream stream, string path, out long dataStart, out Dictionary<string, string> metadata)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw Corrupt(path, $"{fileLength} bytes is too short to hold a header");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)Math.Min(MaxHeaderBytes, fileLength - 8))
            throw Corrupt(path, $"header length {headerLength} exceeds the file ({fileLength} bytes); the file is truncated or not safetensors");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        try
        {
            var header = JsonNode.Parse(headerBytes) as JsonObject ?? throw Corrupt(path, "the header is not a JSON object");
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    if (node is not JsonObject values) throw Corrupt(path, "__metadata__ is not an object");
                    foreach (var (key, value) in values)
                        metadata[key] = value is JsonValue v && v.TryGetValue<string>(out var text) ? text : throw Corrupt(path, $"__metadata__ value '{key}' is not a string");
                    continue;
                }
                entries.Add(ParseEntry(path, name, node, dataLength));
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw Corrupt(path, $"the header is not a JSON object ({ex.Message})");
        }
        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < entries.Count; i++)
            if (entries[i].Begin < entries[i - 1].End)
                throw Corrupt(path, $"tensors '{entries[i - 1].Name}' and '{entries[i].Name}' overlap");
        return entries;
    }

    private static Entry ParseEntry(string path, string name, JsonNode? node, long dataLength)
    {
        if (node is not JsonObject obj || obj["dtype"] is not JsonValue dtypeNode || !dtypeNode.TryGetValue<string>(out var dtype)
            || obj["shape"] is not JsonArray shapeNode || obj["data_offsets"] is not JsonArray offsetsNode)
            throw Corrupt(path, $"tensor '{name}' has a malformed header entry (dtype, shape and data_offsets are required)");
        long[] shape = Integers(shapeNode, path, name, "shape");
        long[] offsets = Integers(offsetsNode, path, name, "data_offsets");
        if (!SafeTensorsDType.TryGetElementSize(dtype, out int elementSize))
            throw Corrupt(path, $"tensor '{name}' has unsupported dtype '{dtype}'");
        if (shape.Any(d => d < 0)) throw Corrupt(path, $"tensor '{name}' has a negative dimension");
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
            throw Corrupt(path, $"tensor '{name}' has invalid data_offsets");
        if (offsets[1] > dataLength)
            throw Corrupt(path, $"tensor '{name}' ends at byte {offsets[1]} of a {dataLength}-byte data section: the file is truncated");
        long expected;
        try { expected = checked(shape.Aggregate(1L, (a, d) => checked(a * d)) * elementSize); }
        catch (OverflowException) { throw Corrupt(path, $"tensor '{name}' has a shape too large to address"); }
        if (offsets[1] - offsets[0] != expected)
            throw Corrupt(path, $"tensor '{name}' holds {offsets[1] - offsets[0]} bytes but {dtype}[{string.Join(", ", shape)}] needs {expected}");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] Integers(JsonArray array, string path, string name, string field) =>
        array.Select(d => d is JsonValue v && v.TryGetValue<long>(out long x) ? x
            : throw Corrupt(path, $"tensor '{name}' has a non-integer in {field}")).ToArray();

    private static InvalidDataException Corrupt(string path, string what) => new($"{path}: not a valid safetensors file: {what}.");
}
