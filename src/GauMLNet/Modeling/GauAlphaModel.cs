using GauMLNet.Configuration;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// The GAU-α backbone: embeddings and a stack of GAU layers. Its parameter names are the PyTorch
/// port's (embeddings.word_embeddings.weight, encoder.layer.{i}.gau.i_dense.weight, …), so
/// checkpoints load by name with no translation. Call it inside a <c>torch.NewDisposeScope()</c> (as
/// <see cref="GauAlphaEncoder.Forward"/> and the library's runners do): the scope keeps each intermediate tensor
/// reachable until libtorch has read it — outside one, a collection can finalize an intermediate mid-call.
/// </summary>
public sealed class GauAlphaModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "embeddings")] private readonly GauAlphaEmbeddings _embeddings;
    [ComponentName(Name = "encoder")] private readonly GauLayerStack _encoder;

    public GauAlphaModel(GauAlphaConfig config) : base(nameof(GauAlphaModel))
    {
        Config = config.Validate();
        _embeddings = new GauAlphaEmbeddings(config);
        _encoder = new GauLayerStack(config);
        RegisterComponents();
    }

    public GauAlphaConfig Config { get; }
    public GauAlphaEmbeddings Embeddings => _embeddings;
    public GauLayerStack Encoder => _encoder;
    public IReadOnlyList<GauLayer> Layers => _encoder.Layers;

    /// <summary>Last hidden states [b, n, d]. attentionMask [b, n]: 1 (or true) for real tokens.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        _encoder.call(_embeddings.call(inputIds, tokenTypeIds), attentionMask.to(ScalarType.Bool));
}
