using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>RMSNorm without gain or offset: x / √(mean(x²) + ε). GAU-α has no learnable norm parameters.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double _eps;

    public RmsNorm(double eps) : base(nameof(RmsNorm)) => _eps = eps;

    public override Tensor forward(Tensor x) => x * (x.square().mean([-1L], keepdim: true) + _eps).rsqrt();
}
