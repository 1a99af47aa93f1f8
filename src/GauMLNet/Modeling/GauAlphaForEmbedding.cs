using GauMLNet.Configuration;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>The backbone ("gau_alpha") pooled to one vector per sequence: [b, d].</summary>
public sealed class GauAlphaForEmbedding : TaskNetwork
{
    [ComponentName(Name = "gau_alpha")] private readonly GauAlphaModel _backbone;

    public GauAlphaForEmbedding(GauAlphaConfig config, SequencePooling pooling) : base(nameof(GauAlphaForEmbedding))
    {
        _backbone = new GauAlphaModel(config);
        Pooling = pooling;
        RegisterComponents();
    }

    public override GauAlphaConfig Config => _backbone.Config;
    public override GauAlphaModel Backbone => _backbone;
    public SequencePooling Pooling { get; }

    public override TaskNetwork EmptyTwin() => new GauAlphaForEmbedding(Config, Pooling);

    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        SequencePooler.Pool(_backbone.call(inputIds, tokenTypeIds, attentionMask), attentionMask, Pooling);
}
