namespace GauMLNet.MLNet;

/// <summary>How a model's files are laid out inside an ML.NET model entry: a count, then (name, length, bytes) each.</summary>
internal static class ModelFiles
{
    private const int Magic = 0x47415546; // "GAUF"

    public static void Write(BinaryWriter writer, IReadOnlyDictionary<string, byte[]> files)
    {
        writer.Write(Magic);
        writer.Write(files.Count);
        foreach (var (name, bytes) in files)
        {
            writer.Write(name);
            writer.Write(bytes.LongLength);
            writer.Write(bytes);
        }
    }

    public static Dictionary<string, byte[]> Read(BinaryReader reader)
    {
        try
        {
            return ReadFiles(reader);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The model entry is truncated: it ends inside its GauMLNet model files.", ex);
        }
        catch (Exception ex) when (ex is FormatException or IOException)
        {
            throw new InvalidDataException($"The model entry's file names are corrupt ({ex.Message}).", ex);
        }
    }

    private static Dictionary<string, byte[]> ReadFiles(BinaryReader reader)
    {
        if (reader.ReadInt32() != Magic) throw new InvalidDataException("The model entry does not hold GauMLNet model files.");
        int count = reader.ReadInt32();
        if (count is < 0 or > 64) throw new InvalidDataException($"The model entry claims {count} files; it is corrupt.");
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            long length = reader.ReadInt64();
            if (length is < 0 or > int.MaxValue) throw new InvalidDataException($"The model entry's file {name} claims {length} bytes; it is corrupt.");
            var bytes = ReadBytes(reader, (int)length);
            if (bytes.Length != length) throw new InvalidDataException($"The model entry's file {name} is truncated ({bytes.Length} of {length} bytes).");
            if (!files.TryAdd(name, bytes)) throw new InvalidDataException($"The model entry holds the file {name} twice; it is corrupt.");
        }
        return files;
    }

    /// <summary>Up to <paramref name="length"/> bytes; memory grows with the bytes actually there, never with a forged length.</summary>
    private static byte[] ReadBytes(BinaryReader reader, int length)
    {
        var stream = reader.BaseStream;
        if (stream.CanSeek) return reader.ReadBytes((int)Math.Min(length, Math.Max(0, stream.Length - stream.Position)));
        using var copy = new MemoryStream();
        var buffer = new byte[Math.Min(length, 1 << 20)];
        int read;
        while (copy.Length < length && (read = reader.Read(buffer, 0, (int)Math.Min(buffer.Length, length - copy.Length))) > 0) copy.Write(buffer, 0, read);
        return copy.ToArray();
    }
}
