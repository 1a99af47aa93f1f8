using System.Collections.ObjectModel;
using GauMLNet.Configuration;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>
/// "encoder" in the port's names: the GAU layers, run over hidden states x [b, n, d] with a key mask
/// [b, n] (true for real tokens), every layer sharing one RoPE table.
/// </summary>
public sealed class GauLayerStack : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "layer")] private readonly ModuleList<GauLayer> _layers;
    private readonly GauAlphaConfig _config;

    public GauLayerStack(GauAlphaConfig config) : base(nameof(GauLayerStack))
    {
        _config = config;
        _layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new GauLayer(config)).ToArray());
        Layers = new ReadOnlyCollection<GauLayer>(_layers);
        RegisterComponents();
    }

    public IReadOnlyList<GauLayer> Layers { get; }

    public override Tensor forward(Tensor x, Tensor keyMask)
    {
        var rope = RotaryPositionEmbedding.Create(x.shape[1], _config.AttentionKeySize, x.device, x.dtype);
        foreach (var layer in _layers)
            x = RecomputesLayer(x) ? LayerCheckpoint.Forward(layer, x, keyMask, rope) : layer.call(x, keyMask, rope);
        return x;
    }

    // Checkpoint only while training with autograd on, and only layers whose input needs a gradient:
    // the recomputation runs from the input's backward, which never runs for an input that needs none
    // (the first trainable layer above frozen ones).
    private bool RecomputesLayer(Tensor x) => _config.GradientCheckpointing && training && is_grad_enabled() && x.requires_grad;
}
