using System.IO.Compression;

namespace GauMLNet.Storage;

/// <summary>
/// Checks every entry of a zip file (an ML.NET model.zip) against the CRC-32 the archive stores for it, so a
/// damaged archive is refused by name and entry before any of it is loaded.
/// </summary>
internal static class ZipIntegrity
{
    public static void Verify(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        ZipArchive archive;
        try { archive = ZipFile.OpenRead(path); }
        catch (InvalidDataException ex) { throw new InvalidDataException($"{path}: not a readable zip archive ({ex.Message}); the file is damaged or not a model.", ex); }
        using (archive)
        {
            var buffer = new byte[1 << 16];
            foreach (var entry in archive.Entries)
            {
                var crc = new System.IO.Hashing.Crc32();
                long length = 0;
                try
                {
                    using var stream = entry.Open();
                    int read;
                    while ((read = stream.Read(buffer)) > 0)
                    {
                        crc.Append(buffer.AsSpan(0, read));
                        length += read;
                    }
                }
                catch (InvalidDataException ex)
                {
                    throw new IntegrityException(path, entry.FullName, $"cannot be decompressed ({ex.Message})");
                }
                if (length != entry.Length) throw new IntegrityException(path, entry.FullName, $"holds {length} bytes where the archive says {entry.Length}");
                uint computed = crc.GetCurrentHashAsUInt32();
                if (computed != entry.Crc32) throw new IntegrityException(path, entry.FullName, $"fails its CRC-32 check (stored {entry.Crc32:x8}, computed {computed:x8})");
            }
        }
    }
}
