using GauMLNet.Configuration;

namespace GauMLNet.Storage;

/// <summary>
/// A config.json read from a file claims the model's sizes, and building the model allocates what it claims before a
/// single weight is compared. A config whose sizes need more parameters than the weights beside it hold cannot belong to
/// them; refusing it first keeps a damaged or hostile config.json (hidden_size 200000) from asking libtorch for terabytes
/// (an allocation failure, or the process killed) instead of being an error naming the file. Issue #30.
/// </summary>
internal static class ConfigWeightsFit
{
    /// <summary>
    /// Parameters every GAU-α of this config has at least: the word embeddings (vocab_size × hidden_size) and, per layer, the
    /// GAU's input projection (hidden_size × (2·intermediate_size + attention_key_size)) and output projection
    /// (intermediate_size × hidden_size). Norms, biases, token types and heads only add to it.
    /// </summary>
    public static double MinimumParameters(GauAlphaConfig config) =>
        (double)config.VocabSize * config.HiddenSize
        + (double)config.NumHiddenLayers * config.HiddenSize * (3.0 * config.IntermediateSize + config.AttentionKeySize);

    /// <summary>Throws naming both files when <paramref name="config"/> needs more parameters than the weights' shapes hold.</summary>
    public static void Require(GauAlphaConfig config, IEnumerable<long[]> weightShapes, string configSource, string weightsSource)
    {
        double held = weightShapes.Sum(shape => shape.Aggregate(1.0, (n, d) => n * d));
        double needed = MinimumParameters(config);
        if (needed > held)
            throw new InvalidDataException(
                $"{configSource}: its sizes (vocab_size {config.VocabSize}, hidden_size {config.HiddenSize}, intermediate_size {config.IntermediateSize}, " +
                $"attention_key_size {config.AttentionKeySize}, num_hidden_layers {config.NumHiddenLayers}) need at least {needed:N0} parameters, " +
                $"but {weightsSource} holds {held:N0}; the config does not belong to these weights.");
    }

    /// <summary>The check against a safetensors file's header (read without the tensors); nothing to check when there is no file.</summary>
    public static void RequireForFile(GauAlphaConfig config, string configSource, string weightsPath)
    {
        if (!File.Exists(weightsPath)) return;
        using var stream = File.OpenRead(weightsPath);
        Require(config, SafeTensorsFile.ReadHeader(stream, weightsPath).Select(e => e.Shape), configSource, weightsPath);
    }
}
