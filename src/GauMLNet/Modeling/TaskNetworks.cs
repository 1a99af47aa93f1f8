using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>Draws a network's initial weights, builds the masked-LM network, freezes bottom layers.</summary>
public static class TaskNetworks
{
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
