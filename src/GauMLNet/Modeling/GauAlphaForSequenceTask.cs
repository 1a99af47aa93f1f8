using GauMLNet.Configuration;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// The backbone ("gau_alpha") with a pooled linear head ("head"): logits over classes for
/// classification, one output for regression.
/// </summary>
public sealed class GauAlphaForSequenceTask : TaskNetwork
{
    [ComponentName(Name = "gau_alpha")] private readonly GauAlphaModel _backbone;
    [ComponentName(Name = "head")] private readonly PooledHead _head;
    private readonly int _outputs;
    private readonly SequencePooling _pooling;

    public GauAlphaForSequenceTask(GauAlphaConfig config, int outputs, SequencePooling pooling) : base(nameof(GauAlphaForSequenceTask))
    {
        _backbone = new GauAlphaModel(config);
        _head = new PooledHead(config, outputs, pooling);
        _outputs = outputs;
        _pooling = pooling;
        RegisterComponents();
    }

    public override GauAlphaConfig Config => _backbone.Config;
    public override GauAlphaModel Backbone => _backbone;
    public PooledHead Head => _head;

    public override TaskNetwork EmptyTwin() => new GauAlphaForSequenceTask(Config, _outputs, _pooling);

    /// <summary>[b, outputs]</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        _head.call(_backbone.call(inputIds, tokenTypeIds, attentionMask), attentionMask);
}
