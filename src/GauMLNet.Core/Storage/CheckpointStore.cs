namespace GauMLNet.Storage;

/// <summary>
/// A directory whose checkpoints are committed as units. A checkpoint is written into a fresh temporary
/// directory, its manifest last; the directory is renamed to its version name; then the LATEST pointer file is
/// replaced atomically — the commit point. Whatever the moment a writer dies, a reader sees the complete previous
/// checkpoint or the complete new one, and a damaged member fails its manifest check instead of loading.
/// Leftovers of a killed writer (temporary directories, versions LATEST does not name) go at the next commit or
/// <see cref="RemoveLeftovers"/>.
/// </summary>
internal sealed partial class CheckpointStore(string directory)
{
    public const string PointerFile = "LATEST";
    private const string TemporaryPrefix = ".tmp-";

    /// <summary>Version names: a word and a number, e.g. epoch-0003 or step-00000200.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^[a-z]+-[0-9]+$")]
    private static partial System.Text.RegularExpressions.Regex VersionName();

    public string Directory { get; } = directory;

    /// <summary>The version LATEST names, or null when nothing was ever committed here.</summary>
    public string? Latest
    {
        get
        {
            string pointer = Path.Combine(Directory, PointerFile);
            if (!File.Exists(pointer)) return null;
            string name = TextFiles.ReadAllText(pointer).Trim();
            if (!VersionName().IsMatch(name))
                throw new InvalidDataException($"{pointer} names '{name}', which is not a checkpoint version.");
            return name;
        }
    }

    /// <summary>Commits <paramref name="files"/> as version <paramref name="name"/> (e.g. epoch-0003) and makes it the latest.</summary>
    public void Commit(string name, IReadOnlyDictionary<string, byte[]> files)
    {
        if (!VersionName().IsMatch(name)) throw new ArgumentException($"'{name}' is not a checkpoint version name (a word and a number, e.g. epoch-0003).", nameof(name));
        System.IO.Directory.CreateDirectory(Directory);
        RemoveLeftovers();
        string temporary = Path.Combine(Directory, TemporaryPrefix + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(temporary);
        foreach (var (member, bytes) in files) AtomicFile.Write(Path.Combine(temporary, member), s => s.Write(bytes));
        AtomicFile.Write(Path.Combine(temporary, FileManifest.FileName), s => s.Write(FileManifest.Of(files).ToBytes()));
        string target = Path.Combine(Directory, name);
        if (System.IO.Directory.Exists(target)) System.IO.Directory.Delete(target, recursive: true); // never LATEST: RemoveLeftovers kept only that one
        FaultPoints.Step($"rename {temporary} to {target}");
        System.IO.Directory.Move(temporary, target);
        AtomicFile.WriteAllText(Path.Combine(Directory, PointerFile), name + "\n"); // the commit point
        RemoveLeftovers();
    }

    /// <summary>The latest checkpoint's files, every member checked against its manifest; null when there is none.</summary>
    public (string Name, IReadOnlyDictionary<string, byte[]> Files)? ReadLatest()
    {
        if (Latest is not { } name) return null;
        string version = Path.Combine(Directory, name);
        string manifestPath = Path.Combine(version, FileManifest.FileName);
        if (!File.Exists(manifestPath)) throw new IntegrityException(version, FileManifest.FileName, "is missing; the checkpoint is incomplete or damaged");
        var manifest = FileManifest.Parse(File.ReadAllBytes(manifestPath), version);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string member in manifest.Files.Keys)
        {
            string path = Path.Combine(version, member);
            files[member] = File.Exists(path) ? File.ReadAllBytes(path) : throw new IntegrityException(version, member, "is listed in the manifest but missing");
        }
        manifest.Verify(files, version);
        return (name, files);
    }

    /// <summary>Removes temporary directories and files, and every version other than the one LATEST names; nothing else.</summary>
    public void RemoveLeftovers()
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        string? latest = Latest;
        foreach (string dir in System.IO.Directory.GetDirectories(Directory))
        {
            string name = Path.GetFileName(dir);
            if (name != latest && (name.StartsWith(TemporaryPrefix, StringComparison.Ordinal) || VersionName().IsMatch(name)))
                System.IO.Directory.Delete(dir, recursive: true);
        }
        foreach (string file in System.IO.Directory.GetFiles(Directory))
            if (AtomicFile.IsTemporary(file)) File.Delete(file);
    }
}
