using GauMLNet.Storage;
using GauMLNet.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>
/// Checkpoint directories (<see cref="CheckpointFiles"/>: config.json + model.safetensors + vocab.txt) as
/// TorchSharp networks: load a masked-LM or a backbone, save a masked-LM.
/// </summary>
public static class CheckpointDirectory
{
    /// <summary>Where a fitted model's task head lives in its weights (TaskNetwork's "head").</summary>
    private const string FittedHeadPrefix = "head.";

    /// <summary>Loads the encoder and MLM head onto the CPU; the decoder is untied when the file carries one.</summary>
    /// <param name="adjust">changes to the saved config that do not touch the weights (e.g. dropout, gradient checkpointing)</param>
    public static GauAlphaForMaskedLM LoadMaskedLM(string directory, Func<Configuration.GauAlphaConfig, Configuration.GauAlphaConfig>? adjust = null)
    {
        var config = CheckpointFiles.LoadConfig(directory);
        if (adjust is not null) config = adjust(config).Validate();
        string weights = CheckpointFiles.RequireWeights(directory);
        var tensors = SafeTensors.Load(weights);
        // A fitted model's weights (a PyTorch export, gaumlnet.json): its backbone with the tied MLM head; the task head is not part of it.
        foreach (string name in tensors.Keys.Where(n => n.StartsWith(FittedHeadPrefix, StringComparison.Ordinal)).ToList())
            if (tensors.Remove(name, out var head)) head.Dispose();
        try
        {
            var model = new GauAlphaForMaskedLM(config, tiedDecoder: !tensors.ContainsKey(CheckpointFiles.DecoderWeightName));
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
        SafeTensors.Save(CheckpointFiles.WeightsPath(directory), model.state_dict(), dtype, new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(CheckpointFiles.ConfigPath(directory), model.Config.ToJson());
        string target = CheckpointFiles.VocabPath(directory);
        if (vocabPath is not null && !string.Equals(Path.GetFullPath(vocabPath), Path.GetFullPath(target), StringComparison.Ordinal))
            AtomicFile.Write(target, s => { using var source = File.OpenRead(vocabPath); source.CopyTo(s); });
    }

    /// <summary>
    /// Loads the backbone tensors ("gau_alpha.*") of a checkpoint directory into <paramref name="backbone"/>;
    /// MLM-head tensors and other heads in the file are ignored.
    /// </summary>
    // A task that needs more segments than the checkpoint has (question-overlap marks) starts each new one as a copy
    // of the last, so the fine-tuned model begins exactly where the checkpoint was.
    private static Tensor? GrowSegments(GauAlphaModel backbone, Dictionary<string, Tensor> tensors)
    {
        const string name = "embeddings.token_type_embeddings.weight";
        int rows = backbone.Config.TypeVocabSize;
        if (!tensors.TryGetValue(name, out var table) || table.dim() != 2 || table.shape[0] >= rows || table.shape[0] == 0) return null;
        using var last = table[^1..];
        var grown = cat([table, .. Enumerable.Repeat(last, rows - (int)table.shape[0])], 0);
        tensors[name] = grown;
        return grown;
    }

    public static void LoadBackbone(string directory, GauAlphaModel backbone)
    {
        string weights = CheckpointFiles.RequireWeights(directory);
        var tensors = SafeTensors.Load(weights);
        try
        {
            var backboneTensors = tensors.Where(kv => kv.Key.StartsWith(CheckpointFiles.BackbonePrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[CheckpointFiles.BackbonePrefix.Length..], kv => kv.Value);
            if (backboneTensors.Count == 0)
                throw new InvalidDataException($"{weights} holds no GAU-α backbone tensors (names starting with '{CheckpointFiles.BackbonePrefix}').");
            using var grown = GrowSegments(backbone, backboneTensors);
            StateDictLoader.Load(backbone, backboneTensors, weights);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
