using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GauMLNet.Storage;

/// <summary>A member of a model or checkpoint that does not match its manifest: the file and the entry at fault.</summary>
public sealed class IntegrityException(string source, string entry, string problem)
    : IOException($"{source}: entry '{entry}' {problem}; the {(source.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? "file" : "model")} is damaged and was not loaded.")
{
    public string SourceName { get; } = source;
    public string Entry { get; } = entry;
}

/// <summary>
/// manifest.json: the SHA-256 and length of every member of a model package or checkpoint directory,
/// written last and checked at load, so a damaged, truncated or swapped member is an error, never a model.
/// </summary>
internal sealed record FileManifest
{
    public const string FileName = "manifest.json";

    public sealed record Member([property: JsonPropertyName("sha256")] string Sha256, [property: JsonPropertyName("bytes")] long Bytes);

    [JsonPropertyName("format")] public int Format { get; init; } = 1;
    [JsonPropertyName("files")] public required SortedDictionary<string, Member> Files { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static FileManifest Of(IEnumerable<KeyValuePair<string, byte[]>> files) => new()
    {
        Files = new SortedDictionary<string, Member>(files.Where(kv => kv.Key != FileName)
            .ToDictionary(kv => kv.Key, kv => new Member(Hash(kv.Value), kv.Value.LongLength)), StringComparer.Ordinal),
    };

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(this, Json));

    public static FileManifest Parse(byte[] bytes, string source)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<FileManifest>(bytes, Json);
            if (manifest?.Files is null || manifest.Files.Values.Any(m => m?.Sha256 is not { Length: 64 }))
                throw new InvalidDataException("it lists no files or a malformed hash");
            if (manifest.Files.Keys.FirstOrDefault(name => !IsMemberName(name)) is { } outside)
                throw new InvalidDataException($"it lists '{outside}', which is not a file name inside the model");
            return manifest;
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            throw new IntegrityException(source, FileName, $"is not a valid manifest ({ex.Message})");
        }
    }

    /// <summary>Checks that <paramref name="files"/> holds exactly the listed members with the listed contents.</summary>
    public void Verify(IReadOnlyDictionary<string, byte[]> files, string source)
    {
        foreach (var (name, member) in Files)
        {
            if (!files.TryGetValue(name, out var bytes)) throw new IntegrityException(source, name, "is listed in the manifest but missing");
            Check(source, name, member, bytes.LongLength, Hash(bytes));
        }
        foreach (string name in files.Keys)
            if (name != FileName && !Files.ContainsKey(name)) throw new IntegrityException(source, name, "is not listed in the manifest");
    }

    /// <summary>Checks the listed members of a directory (other files in it are ignored).</summary>
    public void VerifyDirectory(string directory)
    {
        foreach (var (name, member) in Files)
        {
            string path = Path.Combine(directory, name);
            if (!File.Exists(path)) throw new IntegrityException(directory, name, "is listed in the manifest but missing");
            Check(directory, name, member, new FileInfo(path).Length, HashFile(path));
        }
    }

    private static void Check(string source, string name, Member member, long length, string hash)
    {
        if (length != member.Bytes) throw new IntegrityException(source, name, $"has {length} bytes where the manifest says {member.Bytes}");
        if (!string.Equals(hash, member.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new IntegrityException(source, name, $"fails its SHA-256 check (manifest {member.Sha256[..12]}…, computed {hash[..12]}…)");
    }

    /// <summary>A plain file name: no directory part, no "." or "..", nothing a path would resolve outside the model.</summary>
    private static bool IsMemberName(string name) =>
        name.Length > 0 && name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0', ':']) < 0 && name == Path.GetFileName(name);

    public static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A file's SHA-256 in lower-case hex, read as a stream.</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
