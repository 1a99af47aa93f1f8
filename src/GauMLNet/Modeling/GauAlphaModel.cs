using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>
/// The GAU-α backbone: embeddings and a stack of GAU layers. Its parameter names are the PyTorch
/// port's (embeddings.word_embeddings.weight, encoder.layer.{i}.gau.i_dense.weight, …), so
/// checkpoints load by name with no translation.
/// </summary>
public sealed class GauAlphaModel : nn.Module
{
    [ComponentName(Name = "embeddings")] private readonly GauAlphaEmbeddings _embeddings;
    [ComponentName(Name = "encoder")] private readonly LayerStack _encoder;

    public GauAlphaModel(GauAlphaConfig config) : base(nameof(GauAlphaModel))
    {
        Config = config.Validate();
        _embeddings = new GauAlphaEmbeddings(config);
        _encoder = new LayerStack(config);
        RegisterComponents();
    }

    public GauAlphaConfig Config { get; }
    public GauAlphaEmbeddings Embeddings => _embeddings;
    public IReadOnlyList<GauLayer> Layers => _encoder.Layers;

    /// <summary>Last hidden states [b, n, d]. attentionMask [b, n]: 1 (or true) for real tokens.</summary>
    public Tensor Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        return Encode(_embeddings.Forward(inputIds, tokenTypeIds), attentionMask.to(ScalarType.Bool));
    }

    /// <summary>The GAU layers alone, over hidden states x [b, n, d]; keyMask [b, n] bool, true for real tokens.</summary>
    public Tensor Encode(Tensor x, Tensor keyMask)
    {
        var rope = RotaryPositionEmbedding.Create(x.shape[1], Config.AttentionKeySize, x.device, x.dtype);
        foreach (var layer in _encoder.Layers)
            x = RecomputesLayer(x) ? LayerCheckpoint.Forward(layer, x, keyMask, rope) : layer.Forward(x, keyMask, rope);
        return x;
    }

    // Checkpoint only while training with autograd on, and only layers whose input needs a gradient:
    // the recomputation runs from the input's backward, which never runs for an input that needs none
    // (the first trainable layer above frozen ones).
    private bool RecomputesLayer(Tensor x) => Config.GradientCheckpointing && training && is_grad_enabled() && x.requires_grad;

    /// <summary>"encoder" in the port's names: just the list of layers.</summary>
    private sealed class LayerStack : nn.Module
    {
        [ComponentName(Name = "layer")] private readonly ModuleList<GauLayer> _layerList;
        private readonly GauLayer[] _layers;

        public LayerStack(GauAlphaConfig config) : base("GauAlphaEncoder")
        {
            _layers = Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new GauLayer(config)).ToArray();
            _layerList = nn.ModuleList(_layers);
            RegisterComponents();
        }

        public IReadOnlyList<GauLayer> Layers => _layers;
    }
}
