using System.Buffers.Binary;
using GauMLNet.TorchSharp.Checkpoints;

namespace GauMLNet.Fuzz;

/// <summary>
/// Recomputes the masked CRC-32C after every block a LevelDB table's footer and index block point at, so that a
/// fuzzer's mutation inside a block reaches the block and entry parsers instead of the checksum check. Lenient on
/// purpose: whatever it cannot follow it leaves as it is, and the reader under test decides.
/// </summary>
internal static class LevelDbChecksums
{
    public static byte[] Repair(byte[] input)
    {
        if (input.Length < 48) return input;
        var file = (byte[])input.Clone();
        int at = file.Length - 48;
        if (!TryHandle(file, ref at, file.Length, out long metaOffset, out long metaSize)
            || !TryHandle(file, ref at, file.Length, out long indexOffset, out long indexSize)) return file;
        Fix(file, metaOffset, metaSize);
        if (!Fix(file, indexOffset, indexSize)) return file;
        // The index block's values are the data blocks' handles.
        int block = (int)indexOffset, end = (int)(indexOffset + indexSize);
        int limit = end - 4 - 4 * (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(end - 4)), (uint)indexSize / 4);
        int p = block;
        while (p < limit)
        {
            if (!TryVarint(file, ref p, limit, out ulong _) || !TryVarint(file, ref p, limit, out ulong unshared)
                || !TryVarint(file, ref p, limit, out ulong valueLength) || unshared + valueLength > (ulong)(limit - p)) break;
            p += (int)unshared;
            int h = p;
            if (TryHandle(file, ref h, p + (int)valueLength, out long offset, out long size)) Fix(file, offset, size);
            p += (int)valueLength;
        }
        return file;
    }

    private static bool Fix(byte[] file, long offset, long size)
    {
        if (offset < 0 || size < 4 || offset > file.Length || size > file.Length - offset - 5) return false;
        uint crc = Crc32C.Mask(Crc32C.Compute(file.AsSpan((int)offset, (int)size + 1)));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan((int)(offset + size + 1)), crc);
        return true;
    }

    private static bool TryHandle(byte[] data, ref int at, int limit, out long offset, out long size)
    {
        offset = size = 0;
        if (!TryVarint(data, ref at, limit, out ulong o) || !TryVarint(data, ref at, limit, out ulong s) || o > int.MaxValue || s > int.MaxValue) return false;
        (offset, size) = ((long)o, (long)s);
        return true;
    }

    private static bool TryVarint(byte[] data, ref int at, int limit, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64 && at < limit; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }
}
