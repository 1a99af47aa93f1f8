using System.Text;
using GauMLNet.Storage;
using GauMLNet.Tasks;

namespace GauMLNet.Interop;

/// <summary>
/// The PyTorch layout of a GAU-α model: config.json, model.safetensors (fp32, the port's parameter names — the backbone
/// under gau_alpha., the task head under head.), vocab.txt, gaumlnet.json (<see cref="PyTorchModelDescription"/>) and
/// a SHA-256 manifest.json. interop/pytorch/gau_alpha.py reads and writes it; ML.NET reads it back through
/// <c>LoadGauModel</c>. A directory is written whole: staged beside its target, then renamed into place.
/// </summary>
internal static class PyTorchLayout
{
    public const string BackbonePrefix = "gau_alpha.";

    private static readonly string[] Members =
        [CheckpointFiles.ConfigFile, CheckpointFiles.WeightsFile, CheckpointFiles.VocabFile, PyTorchModelDescription.FileName];

    /// <summary>Whether <paramref name="directory"/> holds a model in this layout (its gaumlnet.json).</summary>
    public static bool Holds(string directory) => File.Exists(Path.Combine(directory, PyTorchModelDescription.FileName));

    /// <summary>Writes a fitted model's weights, vocabulary and description; engine files (model.onnx) are left out.</summary>
    public static PyTorchModelDescription Write(GauModelPackage package, string directory)
    {
        byte[] weights = package.Weights ?? throw new InvalidDataException($"{package.Source} holds no {CheckpointFiles.WeightsFile}; only a model with its weights can be exported.");
        var description = PyTorchModelDescription.Of(package.Spec with { Engine = "torchsharp" }, HeadParameters(weights, package.Source));
        WriteWhole(directory, new Dictionary<string, byte[]>
        {
            [CheckpointFiles.ConfigFile] = package.Members[CheckpointFiles.ConfigFile],
            [CheckpointFiles.WeightsFile] = weights,
            [CheckpointFiles.VocabFile] = Encoding.UTF8.GetBytes(package.VocabText),
            [PyTorchModelDescription.FileName] = Encoding.UTF8.GetBytes(description.ToJson()),
        });
        return description;
    }

    /// <summary>Writes a pretraining checkpoint directory (config.json, model.safetensors, vocab.txt) with an MLM description.</summary>
    public static PyTorchModelDescription WriteCheckpoint(string checkpointDirectory, string directory)
    {
        CheckpointFiles.LoadConfig(checkpointDirectory); // a readable config, or an error naming it
        byte[] weights = File.ReadAllBytes(CheckpointFiles.RequireWeights(checkpointDirectory));
        var description = PyTorchModelDescription.OfCheckpoint(HeadParameters(weights, checkpointDirectory));
        WriteWhole(directory, new Dictionary<string, byte[]>
        {
            [CheckpointFiles.ConfigFile] = File.ReadAllBytes(CheckpointFiles.ConfigPath(checkpointDirectory)),
            [CheckpointFiles.WeightsFile] = weights,
            [CheckpointFiles.VocabFile] = Encoding.UTF8.GetBytes(CheckpointFiles.ReadVocab(checkpointDirectory)),
            [PyTorchModelDescription.FileName] = Encoding.UTF8.GetBytes(description.ToJson()),
        });
        return description;
    }

    /// <summary>The description, after checking every member against the manifest (when there is one).</summary>
    public static PyTorchModelDescription ReadDescription(string directory)
    {
        string path = Path.Combine(directory, PyTorchModelDescription.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} is not a PyTorch-layout GAU model: {PyTorchModelDescription.FileName} is missing.", path);
        string manifest = Path.Combine(directory, FileManifest.FileName);
        if (File.Exists(manifest)) FileManifest.Parse(File.ReadAllBytes(manifest), directory).VerifyDirectory(directory);
        return PyTorchModelDescription.FromJson(TextFiles.ReadAllText(path), path);
    }

    /// <summary>A fitted model in this layout as a package that any engine can score; a pretraining checkpoint is refused.</summary>
    public static GauModelPackage ReadPackage(string directory)
    {
        var description = ReadDescription(directory);
        if (description.Spec is not { } spec)
            throw new InvalidDataException($"{directory} holds a pretraining checkpoint ({description.Task}), not a fitted model: " +
                                           "fine-tune it with gau train --model, or continue pretraining with gau pretrain.");
        foreach (string member in Members)
            if (!File.Exists(Path.Combine(directory, member))) throw new FileNotFoundException($"{directory}: {member} is missing.", Path.Combine(directory, member));
        byte[] weights = File.ReadAllBytes(CheckpointFiles.WeightsPath(directory));
        var names = new HashSet<string>(HeadParameters(weights, CheckpointFiles.WeightsPath(directory)), StringComparer.Ordinal);
        foreach (string parameter in description.HeadParameters)
            if (!names.Contains(parameter))
                throw new InvalidDataException($"{CheckpointFiles.WeightsPath(directory)}: the head parameter '{parameter}' that {PyTorchModelDescription.FileName} lists is missing.");
        return GauModelPackage.Create(spec, CheckpointFiles.LoadConfig(directory), CheckpointFiles.ReadVocab(directory), weights, source: directory);
    }

    /// <summary>The names in a safetensors file that are not the backbone's, sorted.</summary>
    private static List<string> HeadParameters(byte[] weights, string source) =>
        [.. SafeTensorsFile.ReadHeader(new MemoryStream(weights, writable: false), source).Select(e => e.Name).Where(n => !n.StartsWith(BackbonePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    // Staged in a sibling directory, then renamed into place: a reader sees the previous export or the new one, never a mix.
    private static void WriteWhole(string directory, Dictionary<string, byte[]> files)
    {
        string target = Path.GetFullPath(directory);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !Holds(target))
            throw new IOException($"{directory} already holds other files; export into an empty or new folder (or over an earlier PyTorch export).");
        string parent = Path.GetDirectoryName(target) ?? throw new IOException($"{directory} has no parent folder.");
        Directory.CreateDirectory(parent);
        string staged = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staged);
        try
        {
            foreach (var (name, bytes) in files) AtomicFile.Write(Path.Combine(staged, name), s => s.Write(bytes));
            AtomicFile.Write(Path.Combine(staged, FileManifest.FileName), s => s.Write(FileManifest.Of(files).ToBytes()));
            string? old = null;
            if (Directory.Exists(target))
            {
                old = Path.Combine(parent, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
                Directory.Move(target, old);
            }
            Directory.Move(staged, target);
            if (old is not null) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(staged)) Directory.Delete(staged, recursive: true);
            throw;
        }
    }
}
