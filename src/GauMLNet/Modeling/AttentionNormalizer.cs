using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>The reference (explicit) form of each normalization; the GAU's fast path must agree with it.</summary>
public static class AttentionNormalizer
{
    /// <summary>Training length the softmax_plus scale is anchored to: at l = 512 it is plain softmax.</summary>
    public const double SoftmaxPlusAnchorLength = 512.0;

    private static readonly global::TorchSharp.Scalar LogAnchorLength = HeldScalars.Hold(Math.Log(SoftmaxPlusAnchorLength));

    /// <summary>log l / log 512 per row, shape [b, 1, 1] from a key mask [b, n] (true = real token).</summary>
    public static Tensor SoftmaxPlusScale(Tensor keyMask)
    {
        var l = keyMask.sum(dim: -1, keepdim: true, type: ScalarType.Float32).clamp_min(HeldScalars.One);
        return l.log().div(LogAnchorLength).unsqueeze(-1);
    }

    /// <summary>Normalizes logits a [b, n, n] over keys; keyMask [b, n] marks real keys.</summary>
    public static Tensor Normalize(Tensor a, Tensor keyMask, AttentionNormalization method)
    {
        var keys = keyMask.unsqueeze(1); // [b, 1, n]: the same keys are visible from every query
        switch (method)
        {
            case AttentionNormalization.Softmax:
                return a.masked_fill(keys.logical_not(), HeldScalars.NegativeInfinity).softmax(-1);
            case AttentionNormalization.SoftmaxPlus:
                return (a * SoftmaxPlusScale(keyMask).to(a.dtype)).masked_fill(keys.logical_not(), HeldScalars.NegativeInfinity).softmax(-1);
            case AttentionNormalization.SquaredRelu:
                {
                    var l = keyMask.sum(dim: -1, keepdim: true, type: a.dtype).clamp_min(HeldScalars.One).unsqueeze(-1);
                    var r = nn.functional.relu(a);
                    return (r * r).masked_fill(keys.logical_not(), HeldScalars.Zero) / l;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown attention normalization.");
        }
    }
}
