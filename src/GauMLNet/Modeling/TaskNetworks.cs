using GauMLNet.Configuration;
using GauMLNet.Tasks;
using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>Builds the network of each task, and draws a network's initial weights: construction and initialisation in one place.</summary>
public static class TaskNetworks
{
    /// <summary>The network for a task, with untouched (default-initialised) weights, for loading saved weights into.</summary>
    /// <param name="outputs">classes, 1 (regression), the hidden size (embedding), BIO tags or entity types (token classification)</param>
    /// <param name="head">token classification: the entity head</param>
    public static TaskNetwork Create(GauTask task, GauAlphaConfig config, int outputs, SequencePooling pooling, EntityHead? head = null) => task switch
    {
        GauTask.Classification or GauTask.Regression => new GauAlphaForSequenceTask(config, outputs, pooling),
        GauTask.Embedding => new GauAlphaForEmbedding(config, pooling),
        GauTask.TokenClassification => new GauAlphaForTokenClassification(config, head ?? throw new ArgumentNullException(nameof(head), "Token classification needs an entity head."), outputs),
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "No network for this task."),
    };

    /// <summary>The network of a task description (task, outputs, pooling, entity head).</summary>
    public static TaskNetwork Create(GauTaskSpec spec, GauAlphaConfig config) => Create(spec.Task, config, spec.Outputs, spec.Pooling, spec.EntityHead);

    /// <summary>The network for a task with its initial weights drawn by the config's initializer from <paramref name="seed"/>.</summary>
    public static TaskNetwork CreateInitialized(GauTaskSpec spec, GauAlphaConfig config, long seed)
    {
        var network = Create(spec, config);
        Initialize(network, config, seed);
        return network;
    }

    /// <summary>A masked-LM network (the released checkpoints' shape) with its initial weights drawn from <paramref name="seed"/>.</summary>
    public static GauAlphaForMaskedLM CreateMaskedLM(GauAlphaConfig config, long seed)
    {
        var network = new GauAlphaForMaskedLM(config);
        Initialize(network, config, seed);
        return network;
    }

    /// <summary>Draws every matrix with the config's initializer; scales to 1, offsets to 0.</summary>
    public static void Initialize(nn.Module network, GauAlphaConfig config, long seed)
    {
        using var generator = new Generator((ulong)seed);
        ParameterInitialization.Apply(network, config, generator);
    }

    /// <summary>Freezes the embeddings and the first <paramref name="layers"/> GAU layers of a network's backbone (0 freezes nothing).</summary>
    public static void FreezeBottom(TaskNetwork network, int layers)
    {
        if (layers < 0 || layers > network.Config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(layers), layers, $"FrozenLayers must be in [0, {network.Config.NumHiddenLayers}].");
        if (layers == 0) return;
        foreach (var p in network.Backbone.Embeddings.parameters()) p.requires_grad = false;
        foreach (var layer in network.Backbone.Layers.Take(layers))
            foreach (var p in layer.parameters()) p.requires_grad = false;
    }
}
