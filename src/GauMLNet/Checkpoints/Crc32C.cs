namespace GauMLNet.Checkpoints;

/// <summary>CRC-32C (Castagnoli), as TensorFlow and LevelDB use it, plus LevelDB's masking of stored checksums.</summary>
public static class Crc32C
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data, uint crc = 0)
    {
        crc = ~crc;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xff] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>LevelDB stores block checksums rotated and offset, so a CRC of data containing CRCs stays well-behaved.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8;

    public static uint Unmask(uint masked)
    {
        uint rotated = masked - 0xa282ead8;
        return (rotated >> 17) | (rotated << 15);
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78 ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
