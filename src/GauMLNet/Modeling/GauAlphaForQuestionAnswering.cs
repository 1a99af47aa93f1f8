using GauMLNet.Configuration;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// The backbone ("gau_alpha") with a span-boundary head ("head"): per position a start and an end score [b, n, 2], for
/// extractive question answering over [CLS] question [SEP] context [SEP].
/// </summary>
public sealed class GauAlphaForQuestionAnswering : TaskNetwork
{
    [ComponentName(Name = "gau_alpha")] private readonly GauAlphaModel _backbone;
    [ComponentName(Name = "head")] private readonly TokenTaggingHead _head;

    public GauAlphaForQuestionAnswering(GauAlphaConfig config) : base(nameof(GauAlphaForQuestionAnswering))
    {
        _backbone = new GauAlphaModel(config);
        _head = new TokenTaggingHead(config, tags: 2, crf: false);
        RegisterComponents();
    }

    public override GauAlphaConfig Config => _backbone.Config;
    public override GauAlphaModel Backbone => _backbone;

    public override TaskNetwork EmptyTwin() => new GauAlphaForQuestionAnswering(Config);

    /// <summary>Start and end scores [b, n, 2].</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask) =>
        _head.call(_backbone.call(inputIds, tokenTypeIds, attentionMask));

    /// <summary>
    /// Cross-entropy of the gold start and end positions ([b], int64) over the positions contextMask ([b, n], bool) allows:
    /// each row's context, and [CLS] where a window without the answer points there. The question, the other special
    /// tokens and padding are never answers. The mean of the two.
    /// </summary>
    public static Tensor Loss(Tensor output, Tensor starts, Tensor ends, Tensor contextMask)
    {
        var outside = contextMask.logical_not();
        var startLogits = output.select(-1, 0).to(ScalarType.Float32).masked_fill(outside, HeldScalars.MinusHuge);
        var endLogits = output.select(-1, 1).to(ScalarType.Float32).masked_fill(outside, HeldScalars.MinusHuge);
        return nn.functional.cross_entropy(startLogits, starts).add(nn.functional.cross_entropy(endLogits, ends), HeldScalars.UnitAlpha).div(HeldScalars.Two);
    }
}
