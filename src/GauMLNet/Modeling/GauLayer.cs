using GauMLNet.Configuration;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>One post-norm residual GAU layer: x ← RMSNorm(x + dropout(GAU(x))).</summary>
public sealed class GauLayer : nn.Module<Tensor, Tensor, RotaryPositionEmbedding, Tensor>
{
    [ComponentName(Name = "gau")] private readonly GatedAttentionUnit _gau;
    [ComponentName(Name = "dropout")] private readonly Dropout _dropout;
    [ComponentName(Name = "norm")] private readonly RmsNorm _norm;

    public GauLayer(GauAlphaConfig config) : base(nameof(GauLayer))
    {
        UsesDropout = config.HiddenDropoutProb > 0 || config.AttentionProbsDropoutProb > 0;
        _gau = new GatedAttentionUnit(config);
        _dropout = nn.Dropout(config.HiddenDropoutProb);
        _norm = new RmsNorm(config.LayerNormEps);
        RegisterComponents();
    }

    public GatedAttentionUnit Gau => _gau;

    /// <summary>Whether training draws random dropout masks in this layer.</summary>
    public bool UsesDropout { get; }

    public override Tensor forward(Tensor x, Tensor keyMask, RotaryPositionEmbedding rope)
    {
        // Free this layer's temporaries when it returns, not when the caller's scope ends: inference then
        // holds one layer's intermediates at a time. Autograd keeps its own references to what backward needs.
        using var scope = NewDisposeScope();
        return _norm.call(x.Plus(_dropout.call(_gau.call(x, keyMask, rope)))).MoveToOuterDisposeScope();
    }
}
