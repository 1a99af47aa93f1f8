using GauMLNet.Configuration;

namespace GauMLNet.Storage;

/// <summary>
/// The files of a checkpoint directory — config.json + model.safetensors (+ vocab.txt), with the PyTorch
/// port's tensor names — as every loader in GauMLNet accepts and `gau convert` writes.
/// </summary>
internal static class CheckpointFiles
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string VocabFile = "vocab.txt";
    public const string DecoderWeightName = "cls.predictions.decoder.weight";
    /// <summary>The prefix of the encoder's tensors in every task network.</summary>
    public const string BackbonePrefix = "gau_alpha.";

    public static string ConfigPath(string directory) => Path.Combine(directory, ConfigFile);
    public static string WeightsPath(string directory) => Path.Combine(directory, WeightsFile);
    public static string VocabPath(string directory) => Path.Combine(directory, VocabFile);

    public static GauAlphaConfig LoadConfig(string directory)
    {
        string path = ConfigPath(directory);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} is not a GAU-α checkpoint directory: {ConfigFile} is missing.", path);
        var config = GauAlphaConfig.Load(path);
        ConfigWeightsFit.RequireForFile(config, path, WeightsPath(directory));
        return config;
    }

    /// <summary>The checkpoint's vocabulary text; a checkpoint to fine-tune or embed with needs one.</summary>
    public static string ReadVocab(string directory)
    {
        string path = VocabPath(directory);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} has no {VocabFile}; a checkpoint used for text needs its vocabulary.", path);
        return TextFiles.ReadAllText(path);
    }

    public static string RequireWeights(string directory)
    {
        string path = WeightsPath(directory);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory} has no {WeightsFile}.", path);
        return path;
    }
}
