using GauMLNet.Configuration;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// Efficient GlobalPointer (Su Jianlin, 2022): every (start i, end j) pair gets, per entity type t,
///   s_t(i, j) = (RoPE(q_i) · RoPE(k_j)) / √h + b_t^end(j) + b_t^start(i),
/// where [q, k] = W x (q, k ∈ ℝʰ, shared by all types) and [b^start, b^end] = W_b [q, k] / 2 are per-type biases.
/// Output [b, types, n, n]; spans with s &gt; 0 are entities (nested ones too). Validity masks are the loss's and the decoder's.
/// </summary>
public sealed class GlobalPointerHead : nn.Module<Tensor, Tensor>
{
    public const int HeadSize = 64;

    [ComponentName(Name = "dense")] private readonly Linear _dense;
    [ComponentName(Name = "bias_dense")] private readonly Linear _biasDense;
    private readonly int _types;
    private static readonly global::TorchSharp.Scalar SqrtHeadSize = HeldScalars.Hold(Math.Sqrt(HeadSize));

    public GlobalPointerHead(GauAlphaConfig config, int types) : base(nameof(GlobalPointerHead))
    {
        _types = types;
        _dense = nn.Linear(config.HiddenSize, 2 * HeadSize, hasBias: true);
        _biasDense = nn.Linear(2 * HeadSize, 2 * types, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], n = hidden.shape[1];
        var projected = _dense.call(hidden); // [b, n, 2h]
        var qk = projected.chunk(2, dim: -1);
        var rope = RotaryPositionEmbedding.Create(n, HeadSize, hidden.device, hidden.dtype);
        var logits = rope.Apply(qk[0]).matmul(rope.Apply(qk[1]).transpose(1, 2)).div(SqrtHeadSize); // [b, n, n]
        var bias = _biasDense.call(projected).div(HeldScalars.Two).transpose(1, 2).view(b, _types, 2, n); // [b, t, (start, end), n]
        var start = bias[.., .., 0].unsqueeze(-1); // varies with i
        var end = bias[.., .., 1].unsqueeze(-2);   // varies with j
        return logits.unsqueeze(1).Plus(start).PlusInPlace(end).MoveToOuterDisposeScope();
    }
}
