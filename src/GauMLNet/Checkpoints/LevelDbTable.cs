using System.Buffers.Binary;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>
/// Reads a LevelDB-format table (TensorFlow's checkpoint .index): a 48-byte footer pointing at the index
/// block, whose entries point at data blocks; each block holds prefix-compressed key/value entries and
/// ends in a restart array, and is followed by a compression byte and a masked CRC-32C, checked here.
/// </summary>
internal static class LevelDbTable
{
    private const ulong Magic = 0xdb4775248b80fb57;
    private const int FooterSize = 48;

    public static List<KeyValuePair<string, byte[]>> ReadAll(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < FooterSize) throw Corrupt(path, $"{file.Length} bytes is shorter than a table footer");
        var footer = file.AsSpan(file.Length - FooterSize);
        if (BinaryPrimitives.ReadUInt64LittleEndian(footer[40..]) != Magic) throw Corrupt(path, "bad table magic number (truncated or not a checkpoint index)");
        int at = 0;
        ReadHandle(footer, ref at, path); // the metaindex block: TensorFlow writes no filters, nothing to read there
        var (indexOffset, indexSize) = ReadHandle(footer, ref at, path);

        var entries = new List<KeyValuePair<string, byte[]>>();
        foreach (var (_, handle) in ReadBlock(file, indexOffset, indexSize, path))
        {
            int h = 0;
            var (offset, size) = ReadHandle(handle, ref h, path);
            foreach (var (key, value) in ReadBlock(file, offset, size, path))
                entries.Add(KeyValuePair.Create(System.Text.Encoding.UTF8.GetString(key), value));
        }
        return entries;
    }

    private static List<(byte[] Key, byte[] Value)> ReadBlock(byte[] file, long offset, long size, string path)
    {
        if (offset < 0 || size < 4 || offset > file.Length || size > file.Length - offset - 5) throw Corrupt(path, $"block at {offset} (+{size}) lies outside the file");
        var block = file.AsSpan((int)offset, (int)size);
        byte compression = file[offset + size];
        uint storedCrc = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)(offset + size + 1), 4)));
        uint actualCrc = Crc32C.Compute(file.AsSpan((int)offset, (int)size + 1));
        if (storedCrc != actualCrc) throw Corrupt(path, $"block at {offset}: crc32c mismatch (stored {storedCrc:x8}, computed {actualCrc:x8})");
        if (compression != 0) throw Corrupt(path, $"block at {offset} uses compression type {compression}; only uncompressed tables are supported");

        uint restarts = BinaryPrimitives.ReadUInt32LittleEndian(block[^4..]);
        if (4L * restarts > block.Length - 4) throw Corrupt(path, $"block at {offset} has an invalid restart array");
        int limit = block.Length - 4 - 4 * (int)restarts;
        var entries = new List<(byte[], byte[])>();
        byte[] previous = [];
        int p = 0;
        while (p < limit)
        {
            ulong sharedBytes = ReadVarint(block, ref p, path), unsharedBytes = ReadVarint(block, ref p, path), valueBytes = ReadVarint(block, ref p, path);
            if (sharedBytes > (ulong)previous.Length || p > limit || unsharedBytes > (ulong)(limit - p) || valueBytes > (ulong)(limit - p) - unsharedBytes)
                throw Corrupt(path, $"block at {offset} has an entry that runs past its end");
            int shared = (int)sharedBytes, unshared = (int)unsharedBytes, valueLength = (int)valueBytes;
            var key = new byte[shared + unshared];
            previous.AsSpan(0, shared).CopyTo(key);
            block.Slice(p, unshared).CopyTo(key.AsSpan(shared));
            p += unshared;
            entries.Add((key, block.Slice(p, valueLength).ToArray()));
            p += valueLength;
            previous = key;
        }
        return entries;
    }

    private static (long Offset, long Size) ReadHandle(ReadOnlySpan<byte> data, ref int at, string path) =>
        ((long)ReadVarint(data, ref at, path), (long)ReadVarint(data, ref at, path));

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int at, string path)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= data.Length) throw Corrupt(path, "truncated varint");
            byte b = data[at++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Corrupt(path, "varint longer than 64 bits");
    }

    private static InvalidDataException Corrupt(string path, string what) => new($"{path}: not a valid checkpoint index: {what}.");
}
