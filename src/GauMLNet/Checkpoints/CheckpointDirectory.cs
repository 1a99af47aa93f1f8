using GauMLNet.Modeling;
using static TorchSharp.torch;

namespace GauMLNet.Checkpoints;

/// <summary>
/// A checkpoint directory: config.json + model.safetensors (+ vocab.txt), with the PyTorch port's
/// tensor names. This is what `gau convert` writes and every loader in GauMLNet accepts.
/// </summary>
public static class CheckpointDirectory
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string VocabFile = "vocab.txt";
    public const string DecoderWeightName = "cls.predictions.decoder.weight";

    public static string ConfigPath(string directory) => Path.Combine(directory, ConfigFile);
    public static string WeightsPath(string directory) => Path.Combine(directory, WeightsFile);
    public static string VocabPath(string directory) => Path.Combine(directory, VocabFile);

    public static GauAlphaConfig LoadConfig(string directory)
    {
        string path = ConfigPath(directory);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} is not a GAU-α checkpoint directory: {ConfigFile} is missing.", path);
        return GauAlphaConfig.Load(path);
    }

    /// <summary>Loads the encoder and MLM head onto the CPU; the decoder is untied when the file carries one.</summary>
    /// <param name="adjust">changes to the saved config that do not touch the weights (e.g. dropout, gradient checkpointing)</param>
    public static GauAlphaForMaskedLM LoadMaskedLM(string directory, Func<GauAlphaConfig, GauAlphaConfig>? adjust = null)
    {
        var config = LoadConfig(directory);
        if (adjust is not null) config = adjust(config).Validate();
        string weights = WeightsPath(directory);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{directory} has no {WeightsFile}.", weights);
        var tensors = SafeTensors.Load(weights);
        try
        {
            var model = new GauAlphaForMaskedLM(config, tiedDecoder: !tensors.ContainsKey(DecoderWeightName));
            StateDictLoader.Load(model, tensors, weights);
            return model;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Writes weights, then config, each atomically; copies the vocabulary when given.</summary>
    public static void Save(string directory, GauAlphaForMaskedLM model, string? vocabPath = null, ScalarType dtype = ScalarType.Float32)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(WeightsPath(directory), model.state_dict(), dtype, new Dictionary<string, string> { ["format"] = "pt" });
        model.Config.Save(ConfigPath(directory));
        string target = VocabPath(directory);
        if (vocabPath is not null && !string.Equals(Path.GetFullPath(vocabPath), Path.GetFullPath(target), StringComparison.Ordinal))
            AtomicFile.Write(target, s => { using var source = File.OpenRead(vocabPath); source.CopyTo(s); });
    }

    /// <summary>
    /// Loads the backbone tensors ("gau_alpha.*") of a checkpoint directory into <paramref name="backbone"/>;
    /// MLM-head tensors and other heads in the file are ignored. Returns the checkpoint's config.
    /// </summary>
    public static void LoadBackbone(string directory, GauAlphaModel backbone)
    {
        const string prefix = "gau_alpha.";
        string weights = WeightsPath(directory);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{directory} has no {WeightsFile}.", weights);
        var tensors = SafeTensors.Load(weights);
        try
        {
            var backboneTensors = tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
            if (backboneTensors.Count == 0)
                throw new InvalidDataException($"{weights} holds no GAU-α backbone tensors (names starting with '{prefix}').");
            StateDictLoader.Load(backbone, backboneTensors, weights);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
