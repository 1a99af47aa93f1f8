using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// FLASH's mixed-chunk attention (Hua et al. 2022, §3.2), non-causal as an encoder needs it. The sequence is cut into
/// g = ⌈n/C⌉ chunks of C tokens (the last one padded):
///   quad = Attend(q_c, k_c, v_c)               inside each chunk c only: the GAU's own normalization, RoPE already in q, k
///   lin  = q_lin · (Σⱼ k_lin,j ⊗ vⱼ) / l       one summary of the whole row, j over its l real tokens
///   out  = quad + lin                           [b, n, e]
/// Cost O(n·C·s + n·s·e) instead of O(n²·s). Padding contributes nothing to a real token: it is masked out of every
/// chunk's keys and zeroed out of the summary, and l counts real tokens only, so a row's result does not depend on how
/// far its batch pads it.
/// </summary>
internal static class MixedChunkAttention
{
    /// <param name="q">[b, n, s] quadratic queries, rotated</param>
    /// <param name="k">[b, n, s] quadratic keys, rotated</param>
    /// <param name="linearQuery">[b, n, s], or null to leave the linear part out</param>
    /// <param name="linearKey">[b, n, s], or null with linearQuery</param>
    /// <param name="v">[b, n, e]</param>
    /// <param name="keyMask">[b, n] bool, true for real tokens</param>
    /// <param name="chunk">C</param>
    /// <param name="attendWithin">full attention over [B, C, ·] with a [B, C] key mask: the GAU's quadratic form</param>
    public static Tensor Attend(Tensor q, Tensor k, Tensor? linearQuery, Tensor? linearKey, Tensor v, Tensor keyMask, long chunk,
        Func<Tensor, Tensor, Tensor, Tensor, Tensor> attendWithin)
    {
        long b = q.shape[0], n = q.shape[1], g = (n + chunk - 1) / chunk, padded = g * chunk;
        var chunkMask = PadLength(keyMask, padded).reshape(b * g, chunk);                    // [b·g, C]
        // A chunk of padding only (a short row in a long batch) lets its padding see itself: finite, and read by nobody.
        var visible = chunkMask.logical_or(chunkMask.any(-1, keepdim: true).logical_not());
        var quad = attendWithin(
            PadLength(q, padded).reshape(b * g, chunk, q.shape[2]),
            PadLength(k, padded).reshape(b * g, chunk, k.shape[2]),
            PadLength(v, padded).reshape(b * g, chunk, v.shape[2]),
            visible).reshape(b, padded, v.shape[2]);                                          // [b, g·C, e]
        if (padded != n) quad = quad.narrow(1, 0, n);
        if (linearQuery is null || linearKey is null) return quad;

        var real = keyMask.unsqueeze(-1);                                                      // [b, n, 1]
        var l = keyMask.sum(dim: -1, keepdim: true, type: ScalarType.Float32).clamp_min(HeldScalars.One).unsqueeze(-1); // [b, 1, 1]
        var keys = linearKey.masked_fill(real.logical_not(), HeldScalars.Zero).div(l).to(linearKey.dtype);              // k_lin / l
        var summary = keys.transpose(-1, -2).matmul(v);                                        // [b, s, e]
        return quad.Plus(linearQuery.matmul(summary));
    }

    // [b, n, ·] or [b, n] → length `padded` along dim 1, zeros (false) after the end.
    private static Tensor PadLength(Tensor t, long padded)
    {
        long n = t.shape[1];
        if (padded == n) return t;
        long[] pad = t.dim() == 2 ? [0, padded - n] : [0, 0, 0, padded - n];
        return t.dtype == ScalarType.Bool
            ? nn.functional.pad(t.to(ScalarType.Byte), pad).to(ScalarType.Bool)
            : nn.functional.pad(t, pad);
    }
}
