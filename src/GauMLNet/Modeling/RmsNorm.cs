using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// RMSNorm without gain or offset: x / √(mean(x²) + ε). GAU-α has no learnable norm parameters.
/// A bf16 (or fp16) input is normalized in fp32 — the mean of squares over d = 768 values and the division — and the
/// result rounded back once to the input's type: bf16's 8-bit mantissa would lose the statistic's low bits.
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Scalar _eps;

    public RmsNorm(double eps) : base(nameof(RmsNorm)) => _eps = HeldScalars.Hold(eps);

    public override Tensor forward(Tensor x)
    {
        if (x.dtype is not (ScalarType.BFloat16 or ScalarType.Float16)) return Normalize(x);
        using var scope = NewDisposeScope();
        return Normalize(x.to(ScalarType.Float32)).to(x.dtype).MoveToOuterDisposeScope();
    }

    private Tensor Normalize(Tensor x) => x * (x * x).mean([-1L], keepdim: true).Plus(_eps).rsqrt();
}
