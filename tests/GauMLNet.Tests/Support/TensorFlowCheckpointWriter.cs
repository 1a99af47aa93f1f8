using System.Buffers.Binary;
using System.Text;
using GauMLNet.TorchSharp.Checkpoints;

namespace GauMLNet.Tests.Support;

/// <summary>
/// Writes small TensorFlow V2 checkpoints for tests (the reader is also checked against real ones in
/// ../shared): sorted entries, optionally one data block per entry and several shards.
/// </summary>
public static class TensorFlowCheckpointWriter
{
    public sealed record Entry(string Name, int DType, long[] Shape, byte[] Data);

    public const int Float = 1, Int32 = 3, String = 7, Int64 = 9;

    public static void Write(string prefix, IEnumerable<Entry> entries, int shards = 1, bool blockPerEntry = false)
    {
        var sorted = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var shardData = Enumerable.Range(0, shards).Select(_ => new MemoryStream()).ToArray();
        var values = new List<(string Key, byte[] Value)> { ("", Header(shards)) };
        for (int i = 0; i < sorted.Count; i++)
        {
            var e = sorted[i];
            int shard = i % shards;
            long offset = shardData[shard].Position;
            shardData[shard].Write(e.Data);
            values.Add((e.Name, BundleEntry(e.DType, e.Shape, shard, offset, e.Data.Length, Crc32C.Mask(Crc32C.Compute(e.Data)))));
        }
        for (int s = 0; s < shards; s++) File.WriteAllBytes($"{prefix}.data-{s:D5}-of-{shards:D5}", shardData[s].ToArray());

        WriteIndex(prefix + ".index", values, blockPerEntry);
    }

    /// <summary>
    /// Writes an index holding exactly these (key, value) entries, in the order given, with valid block checksums;
    /// returns where each block (data blocks, the metaindex, the index block) lies, checksum trailer excluded.
    /// </summary>
    public static IReadOnlyList<(int Offset, int Size)> WriteIndex(string path, IReadOnlyList<(string Key, byte[] Value)> values, bool blockPerEntry = false)
    {
        using var index = new MemoryStream();
        var blocks = new List<(int, int)>();
        var indexEntries = new List<(string, byte[])>();
        var groups = blockPerEntry ? values.Select(v => new[] { v }).ToList() : [values.ToArray()];
        foreach (var group in groups)
        {
            long offset = index.Position;
            byte[] block = Block(group);
            WriteBlock(index, block);
            blocks.Add(((int)offset, block.Length));
            indexEntries.Add((group[^1].Key, Handle(offset, block.Length)));
        }
        long metaOffset = index.Position;
        byte[] meta = Block([]);
        WriteBlock(index, meta);
        blocks.Add(((int)metaOffset, meta.Length));
        long indexOffset = index.Position;
        byte[] indexBlock = Block(indexEntries);
        WriteBlock(index, indexBlock);
        blocks.Add(((int)indexOffset, indexBlock.Length));
        var footer = new byte[48];
        var handles = Handle(metaOffset, meta.Length).Concat(Handle(indexOffset, indexBlock.Length)).ToArray();
        handles.CopyTo(footer, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(footer.AsSpan(40), 0xdb4775248b80fb57);
        index.Write(footer);
        File.WriteAllBytes(path, index.ToArray());
        return blocks;
    }

    /// <summary>Recomputes the masked CRC-32C after each block, so a corruption inside a block reaches the parser.</summary>
    public static byte[] RepairChecksums(byte[] index, IReadOnlyList<(int Offset, int Size)> blocks)
    {
        var repaired = (byte[])index.Clone();
        foreach (var (offset, size) in blocks)
        {
            if (offset + size + 5 > repaired.Length) continue;
            uint crc = Crc32C.Mask(Crc32C.Compute(repaired.AsSpan(offset, size + 1)));
            BinaryPrimitives.WriteUInt32LittleEndian(repaired.AsSpan(offset + size + 1), crc);
        }
        return repaired;
    }

    public static byte[] Floats(IEnumerable<float> values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Block(IReadOnlyList<(string Key, byte[] Value)> entries)
    {
        using var m = new MemoryStream();
        byte[] previous = [];
        foreach (var (key, value) in entries)
        {
            byte[] k = Encoding.UTF8.GetBytes(key);
            int shared = 0;
            while (shared < previous.Length && shared < k.Length && previous[shared] == k[shared]) shared++;
            Varint(m, (ulong)shared);
            Varint(m, (ulong)(k.Length - shared));
            Varint(m, (ulong)value.Length);
            m.Write(k, shared, k.Length - shared);
            m.Write(value);
            previous = k;
        }
        m.Write(BitConverter.GetBytes(0u)); // one restart point, at 0
        m.Write(BitConverter.GetBytes(1u));
        return m.ToArray();
    }

    private static void WriteBlock(Stream s, byte[] block)
    {
        s.Write(block);
        s.WriteByte(0); // no compression
        uint crc = Crc32C.Compute([.. block, 0]);
        s.Write(BitConverter.GetBytes(Crc32C.Mask(crc)));
    }

    private static byte[] Handle(long offset, long size)
    {
        using var m = new MemoryStream();
        Varint(m, (ulong)offset);
        Varint(m, (ulong)size);
        return m.ToArray();
    }

    public static byte[] Header(int shards)
    {
        using var m = new MemoryStream();
        Tag(m, 1, 0); Varint(m, (ulong)shards);
        Tag(m, 3, 2); Varint(m, 2); Tag(m, 1, 0); Varint(m, 1); // version { producer: 1 }
        return m.ToArray();
    }

    public static byte[] BundleEntry(int dtype, long[] shape, int shard, long offset, long size, uint maskedCrc)
    {
        using var shapeProto = new MemoryStream();
        foreach (long d in shape)
        {
            using var dim = new MemoryStream();
            Tag(dim, 1, 0); Varint(dim, (ulong)d);
            Tag(shapeProto, 2, 2); Varint(shapeProto, (ulong)dim.Length); shapeProto.Write(dim.ToArray());
        }
        using var m = new MemoryStream();
        Tag(m, 1, 0); Varint(m, (ulong)dtype);
        Tag(m, 2, 2); Varint(m, (ulong)shapeProto.Length); m.Write(shapeProto.ToArray());
        if (shard != 0) { Tag(m, 3, 0); Varint(m, (ulong)shard); }
        Tag(m, 4, 0); Varint(m, (ulong)offset);
        Tag(m, 5, 0); Varint(m, (ulong)size);
        Tag(m, 6, 5); m.Write(BitConverter.GetBytes(maskedCrc));
        return m.ToArray();
    }

    private static void Tag(Stream s, int field, int wire) => Varint(s, (ulong)((field << 3) | wire));

    private static void Varint(Stream s, ulong v)
    {
        while (v >= 0x80) { s.WriteByte((byte)(v | 0x80)); v >>= 7; }
        s.WriteByte((byte)v);
    }
}
