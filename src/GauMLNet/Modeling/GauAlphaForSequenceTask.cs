using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>
/// The backbone ("gau_alpha") with a pooled linear head ("classifier"): logits over classes for
/// classification, one output for regression.
/// </summary>
public sealed class GauAlphaForSequenceTask : nn.Module
{
    [ComponentName(Name = "gau_alpha")] private readonly GauAlphaModel _backbone;
    [ComponentName(Name = "head")] private readonly ClassificationHead _head;

    public GauAlphaForSequenceTask(GauAlphaConfig config, int outputs, SequencePooling pooling) : base(nameof(GauAlphaForSequenceTask))
    {
        _backbone = new GauAlphaModel(config);
        _head = new ClassificationHead(config, outputs, pooling);
        RegisterComponents();
    }

    public GauAlphaConfig Config => _backbone.Config;
    public GauAlphaModel Backbone => _backbone;
    public ClassificationHead Head => _head;

    /// <summary>[b, outputs]</summary>
    public Tensor Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        _head.Forward(_backbone.Forward(inputIds, tokenTypeIds, attentionMask), attentionMask);

    /// <summary>Freezes the embeddings and the first <paramref name="layers"/> GAU layers (0 freezes nothing).</summary>
    public void FreezeBottom(int layers)
    {
        if (layers < 0 || layers > Config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(layers), layers, $"FrozenLayers must be in [0, {Config.NumHiddenLayers}].");
        if (layers == 0) return;
        foreach (var p in _backbone.Embeddings.parameters()) p.requires_grad = false;
        foreach (var layer in _backbone.Layers.Take(layers))
            foreach (var p in layer.parameters()) p.requires_grad = false;
    }
}
