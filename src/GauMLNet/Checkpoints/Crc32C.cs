using System.Buffers.Binary;
using System.Numerics;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>CRC-32C (Castagnoli), as TensorFlow and LevelDB use it (the CPU's crc32 instruction through BitOperations), plus LevelDB's masking of stored checksums.</summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data, uint crc = 0)
    {
        crc = ~crc;
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>LevelDB stores block checksums rotated and offset, so a CRC of data containing CRCs stays well-behaved.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8;

    public static uint Unmask(uint masked)
    {
        uint rotated = masked - 0xa282ead8;
        return (rotated >> 17) | (rotated << 15);
    }
}
