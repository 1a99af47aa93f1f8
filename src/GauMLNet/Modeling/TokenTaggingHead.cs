using GauMLNet.Configuration;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>Hidden states → dropout → linear: a score per token and BIO tag, [b, n, tags]; with a CRF on top for the CRF head.</summary>
public sealed class TokenTaggingHead : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "dropout")] private readonly Dropout _dropout;
    [ComponentName(Name = "classifier")] private readonly Linear _classifier;
    [ComponentName(Name = "crf")] private readonly LinearChainCrf? _crf;

    public TokenTaggingHead(GauAlphaConfig config, int tags, bool crf) : base(nameof(TokenTaggingHead))
    {
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        _classifier = nn.Linear(config.HiddenSize, tags, hasBias: true);
        if (crf) _crf = new LinearChainCrf(tags);
        RegisterComponents();
    }

    public LinearChainCrf? Crf => _crf;

    public override Tensor forward(Tensor hidden) => _classifier.call(_dropout.call(hidden));
}
