using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>What a conversion read and wrote.</summary>
public sealed record ConversionReport(string SourceFormat, int TensorsLoaded, IReadOnlyList<string> Ignored, GauAlphaConfig Config, string OutputDirectory);

/// <summary>
/// Turns the released GAU-α weights — a bert4keras TensorFlow checkpoint or the PyTorch port's
/// pytorch_model.bin — into a GauMLNet checkpoint directory (config.json + model.safetensors + vocab.txt).
/// </summary>
public static class CheckpointConverter
{
    public static ConversionReport Convert(string source, string vocabPath, string? configPath, string outputDirectory)
    {
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"--vocab: {vocabPath} does not exist.", vocabPath);
        var (format, tensors, ignored, inferred) = Read(source);
        try
        {
            var config = configPath is not null ? GauAlphaConfig.Load(configPath)
                : SiblingConfig(source) is { } sibling ? GauAlphaConfig.Load(sibling)
                : inferred ?? throw new FileNotFoundException($"{source} has no config.json beside it; pass --config.");
            ConfigWeightsFit.Require(config, tensors.Values.Select(t => t.shape), configPath ?? SiblingConfig(source) ?? "the config inferred from the shapes", source);
            // vocab.txt is copied into the checkpoint: one that is not a vocabulary, or not the embedding's size, is refused now, not at first use.
            int entries = Text.GauTokenizer.FromVocabFile(vocabPath).VocabSize;
            if (entries != config.VocabSize)
                throw new InvalidDataException($"--vocab: {vocabPath} has {entries} entries but the config says vocab_size {config.VocabSize}; is it this model's vocabulary?");
            using var model = new GauAlphaForMaskedLM(config, tiedDecoder: !tensors.ContainsKey(CheckpointFiles.DecoderWeightName));
            StateDictLoader.Load(model, tensors, source);
            CheckpointDirectory.Save(outputDirectory, model, vocabPath);
            return new ConversionReport(format, tensors.Count, ignored, config, outputDirectory);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Names, dtypes and shapes of every tensor in a checkpoint of any supported format.</summary>
    public static IReadOnlyList<(string Name, string DType, long[] Shape)> Inspect(string source)
    {
        if (source.EndsWith(".safetensors", StringComparison.Ordinal))
            return SafeTensorsFile.ReadHeader(source).Select(e => (e.Name, e.DType, e.Shape)).ToList();
        if (PyTorchFile(source) is not { } bin)
            return TensorFlowCheckpoint.Open(source).Variables.Select(v => (v.Name, v.DType, v.Shape)).ToList();
        var tensors = ReadPyTorch(bin);
        try { return tensors.Select(kv => (kv.Key, TensorDType.Code(kv.Value.dtype), kv.Value.shape)).OrderBy(t => t.Key, StringComparer.Ordinal).ToList(); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    private static (string Format, Dictionary<string, Tensor> Tensors, IReadOnlyList<string> Ignored, GauAlphaConfig? Inferred) Read(string source)
    {
        if (PyTorchFile(source) is { } bin) return ("pytorch", ReadPyTorch(bin), [], null);

        var checkpoint = TensorFlowCheckpoint.Open(source);
        var shapes = checkpoint.Variables.ToDictionary(v => v.Name, v => v.Shape);
        if (!Bert4KerasNameMap.LooksLikeGauAlpha(shapes.Keys))
            throw new InvalidDataException($"{checkpoint.Prefix}: no GAU_alpha/encoder/layer_*/gau/* variables; this is not a bert4keras GAU-α checkpoint.");
        var all = checkpoint.ReadAll(name => !name.EndsWith("/Adam", StringComparison.Ordinal) && !name.EndsWith("/Adam_1", StringComparison.Ordinal));
        var mapping = Bert4KerasNameMap.Map(all);
        foreach (var (name, tensor) in all)
            if (!mapping.Tensors.Values.Contains(tensor)) tensor.Dispose();
        var ignored = mapping.Ignored.Concat(shapes.Keys.Where(n => !all.ContainsKey(n))).Order(StringComparer.Ordinal).ToList();
        return ("tensorflow (bert4keras)", mapping.Tensors, ignored, Bert4KerasNameMap.InferConfig(shapes));
    }

    /// <summary>The PyTorch (or safetensors) file a source names: the file itself, or pytorch_model.bin in a folder; null for TensorFlow.</summary>
    private static string? PyTorchFile(string source) =>
        File.Exists(source) && !source.EndsWith(".index", StringComparison.Ordinal) ? source
        : Directory.Exists(source) && File.Exists(Path.Combine(source, "pytorch_model.bin")) ? Path.Combine(source, "pytorch_model.bin")
        : null;

    private static Dictionary<string, Tensor> ReadPyTorch(string path) =>
        path.EndsWith(".safetensors", StringComparison.Ordinal) ? SafeTensors.Load(path) : TorchPickleReader.Load(path);

    private static string? SiblingConfig(string source)
    {
        string dir = Directory.Exists(source) ? source : Path.GetDirectoryName(Path.GetFullPath(source))!;
        string candidate = Path.Combine(dir, "config.json");
        return File.Exists(candidate) ? candidate : null;
    }
}
