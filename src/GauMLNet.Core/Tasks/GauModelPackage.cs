using System.Text;
using GauMLNet.Configuration;
using GauMLNet.Storage;

namespace GauMLNet.Tasks;

/// <summary>
/// The files of a fitted GAU model, engine-independent: gau-task.json (what it does), config.json,
/// vocab.txt, model.safetensors (fp32 weights, the port's names) and any engine files (model.onnx), with a
/// SHA-256 manifest. The same files go into a model directory or into an ML.NET model zip entry.
/// </summary>
public sealed class GauModelPackage
{
    private readonly Dictionary<string, byte[]> _members;

    private GauModelPackage(GauTaskSpec spec, GauAlphaConfig config, string vocabText, Dictionary<string, byte[]> members, string source)
    {
        Spec = spec;
        Config = config;
        VocabText = vocabText;
        _members = members;
        Source = source;
    }

    public GauTaskSpec Spec { get; }
    public GauAlphaConfig Config { get; }
    public string VocabText { get; }
    /// <summary>Where the package came from, for messages (a directory, a zip entry, or "fitted in memory").</summary>
    public string Source { get; }

    /// <summary>The member files, the manifest excluded.</summary>
    public IReadOnlyDictionary<string, byte[]> Members => _members;

    /// <summary>model.safetensors, or null when the package holds only an engine's own format.</summary>
    public byte[]? Weights => _members.GetValueOrDefault(CheckpointFiles.WeightsFile);

    public static GauModelPackage Create(GauTaskSpec spec, GauAlphaConfig config, string vocabText, byte[] weights,
        IReadOnlyDictionary<string, byte[]>? engineFiles = null, string source = "fitted in memory")
    {
        spec = spec with { Format = GauTaskSpec.CurrentFormat };
        var members = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [GauTaskSpec.FileName] = Encoding.UTF8.GetBytes(spec.ToJson()),
            [CheckpointFiles.ConfigFile] = Encoding.UTF8.GetBytes(config.ToJson()),
            [CheckpointFiles.VocabFile] = Encoding.UTF8.GetBytes(vocabText),
            [CheckpointFiles.WeightsFile] = weights,
        };
        foreach (var (name, bytes) in engineFiles ?? new Dictionary<string, byte[]>()) members[name] = bytes;
        return new GauModelPackage(spec, config, vocabText, members, source);
    }

    /// <summary>This package with another task description and added (or replaced) engine files; the weights stay.</summary>
    public GauModelPackage With(GauTaskSpec spec, IReadOnlyDictionary<string, byte[]>? engineFiles = null) =>
        Create(spec, Config, VocabText, Weights ?? throw new InvalidOperationException($"{Source} holds no {CheckpointFiles.WeightsFile}."),
            _members.Where(kv => kv.Key is not (GauTaskSpec.FileName or CheckpointFiles.ConfigFile or CheckpointFiles.VocabFile or CheckpointFiles.WeightsFile))
                .Concat(engineFiles ?? new Dictionary<string, byte[]>()).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value), Source);

    /// <summary>The members and their manifest.</summary>
    public IReadOnlyDictionary<string, byte[]> ToFiles() =>
        new Dictionary<string, byte[]>(_members, StringComparer.Ordinal) { [FileManifest.FileName] = FileManifest.Of(_members).ToBytes() };

    /// <summary>Rebuilds a package from its files, checking every member against the manifest.</summary>
    public static GauModelPackage FromFiles(IReadOnlyDictionary<string, byte[]> files, string source)
    {
        var members = files.Where(kv => kv.Key != FileManifest.FileName).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        byte[] Require(string name) => members.TryGetValue(name, out var bytes) ? bytes : throw new InvalidDataException($"{source}: {name} is missing.");
        if (files.TryGetValue(FileManifest.FileName, out var manifest)) FileManifest.Parse(manifest, source).Verify(members, source);
        var spec = GauTaskSpec.FromJson(TextFiles.Decode(Require(GauTaskSpec.FileName), $"{source}/{GauTaskSpec.FileName}"), $"{source}/{GauTaskSpec.FileName}");
        if (manifest is null && spec.Format >= 2)
            throw new IntegrityException(source, FileManifest.FileName, "is missing (a format-2 model always carries one)");
        var config = GauAlphaConfig.FromJson(TextFiles.Decode(Require(CheckpointFiles.ConfigFile), $"{source}/{CheckpointFiles.ConfigFile}"), $"{source}/{CheckpointFiles.ConfigFile}");
        if (members.TryGetValue(CheckpointFiles.WeightsFile, out var weights))
            ConfigWeightsFit.Require(config, SafeTensorsFile.ReadHeader(new MemoryStream(weights, writable: false), $"{source}/{CheckpointFiles.WeightsFile}").Select(e => e.Shape),
                $"{source}/{CheckpointFiles.ConfigFile}", $"{source}/{CheckpointFiles.WeightsFile}");
        string vocab = TextFiles.Decode(Require(CheckpointFiles.VocabFile), $"{source}/{CheckpointFiles.VocabFile}");
        return new GauModelPackage(spec, config, vocab, members, source);
    }

    /// <summary>Writes every member atomically, then the manifest: a reader never accepts a half-written directory.</summary>
    public void SaveDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        string manifest = Path.Combine(directory, FileManifest.FileName);
        if (File.Exists(manifest)) File.Delete(manifest); // stale until the new one is written
        foreach (var (name, bytes) in _members) AtomicFile.Write(Path.Combine(directory, name), s => s.Write(bytes));
        AtomicFile.Write(manifest, s => s.Write(FileManifest.Of(_members).ToBytes()));
    }

    public static GauModelPackage LoadDirectory(string directory)
    {
        if (!File.Exists(Path.Combine(directory, GauTaskSpec.FileName)))
            throw new FileNotFoundException($"{directory} is not a fitted GauMLNet model: {GauTaskSpec.FileName} is missing.");
        string manifestPath = Path.Combine(directory, FileManifest.FileName);
        var listed = File.Exists(manifestPath) ? FileManifest.Parse(File.ReadAllBytes(manifestPath), directory).Files : null;
        IEnumerable<string> names = listed is not null
            ? listed.Keys.Append(FileManifest.FileName)
            : new[] { GauTaskSpec.FileName, CheckpointFiles.ConfigFile, CheckpointFiles.VocabFile, CheckpointFiles.WeightsFile }
                .Where(name => File.Exists(Path.Combine(directory, name)));
        byte[] Read(string name)
        {
            var file = new FileInfo(Path.Combine(directory, name));
            if (!file.Exists) throw new IntegrityException(directory, name, "is listed in the manifest but missing");
            // A member of another length is refused before it is read: its size is the manifest's, not whatever the file claims.
            if (listed is not null && listed.TryGetValue(name, out var member) && file.Length != member.Bytes)
                throw new IntegrityException(directory, name, $"has {file.Length} bytes where the manifest says {member.Bytes}");
            return File.ReadAllBytes(file.FullName);
        }
        var files = names.ToDictionary(name => name, Read);
        return FromFiles(files, directory);
    }
}
