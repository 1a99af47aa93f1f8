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
        if (reader.ReadInt32() != Magic) throw new InvalidDataException("The model entry does not hold GauMLNet model files.");
        int count = reader.ReadInt32();
        if (count is < 0 or > 64) throw new InvalidDataException($"The model entry claims {count} files; it is corrupt.");
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            long length = reader.ReadInt64();
            if (length is < 0 or > int.MaxValue) throw new InvalidDataException($"The model entry's file {name} claims {length} bytes; it is corrupt.");
            var bytes = reader.ReadBytes((int)length);
            if (bytes.Length != length) throw new InvalidDataException($"The model entry's file {name} is truncated ({bytes.Length} of {length} bytes).");
            files[name] = bytes;
        }
        return files;
    }
}
