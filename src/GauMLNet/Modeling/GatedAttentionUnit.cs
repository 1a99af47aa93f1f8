using GauMLNet.Configuration;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// The Gated Attention Unit (FLASH, Hua et al. 2022) as GAU-α uses it:
///   [u, v, z] = act(x·W_i)          u, v ∈ ℝᵉ, z ∈ ℝˢ (one fused projection, split in that order)
///   q = RoPE(γ_q⊙z), k = RoPE(γ_k⊙z)
///   A = normalize(q·kᵀ/√s)          softmax_plus, squared_relu or softmax, over unmasked keys
///   o = (u ⊙ A·v)·W_o
/// No biases unless use_bias (then q and k also get offsets). With attention mixed_chunk, A·v is FLASH's mixed-chunk form
/// (MixedChunkAttention): A inside chunks of C tokens, plus a linear part from q_lin = γ_ql⊙z, k_lin = γ_kl⊙z.
/// </summary>
public sealed class GatedAttentionUnit : nn.Module<Tensor, Tensor, RotaryPositionEmbedding, Tensor>
{
    [ComponentName(Name = "i_dense")] private readonly Linear _inputProjection;
    [ComponentName(Name = "o_dense")] private readonly Linear _outputProjection;
    [ComponentName(Name = "q_scaleoffset")] private readonly ScaleOffset _queryScale;
    [ComponentName(Name = "k_scaleoffset")] private readonly ScaleOffset _keyScale;
    [ComponentName(Name = "q_lin_scaleoffset")] private readonly ScaleOffset? _linearQueryScale;
    [ComponentName(Name = "k_lin_scaleoffset")] private readonly ScaleOffset? _linearKeyScale;
    [ComponentName(Name = "attention_dropout")] private readonly Dropout _attentionDropout;
    private readonly AttentionSpan _span;
    private readonly long _chunk;
    private readonly Func<Tensor, Tensor> _activation;
    private readonly long _e, _s;
    private readonly bool _attentionScale;
    private readonly double _attentionDropoutProbability;
    private readonly AttentionNormalization _normalization;
    // √s, the logits' scale (1/√s or 1) and SDPA's query factor (1 or √s): numbers held for the module's life (HeldScalars says why).
    private readonly global::TorchSharp.Scalar _sqrtKeySize, _logitScale, _queryUnscale;

    public GatedAttentionUnit(GauAlphaConfig config) : base(nameof(GatedAttentionUnit))
    {
        _e = config.IntermediateSize;
        _s = config.AttentionKeySize;
        _attentionScale = config.AttentionScale;
        _normalization = config.AttentionNormalization;
        _activation = Activations.Resolve(config.HiddenAct);
        _attentionDropoutProbability = config.AttentionProbsDropoutProb;
        _sqrtKeySize = HeldScalars.Hold(Math.Sqrt(_s));
        _logitScale = HeldScalars.Hold(_attentionScale ? 1.0 / Math.Sqrt(_s) : 1.0);
        _queryUnscale = HeldScalars.Hold(_attentionScale ? 1.0 : Math.Sqrt(_s));
        _inputProjection = nn.Linear(config.HiddenSize, 2 * _e + _s, hasBias: config.UseBias);
        _outputProjection = nn.Linear(_e, config.HiddenSize, hasBias: config.UseBias);
        _queryScale = new ScaleOffset(_s, config.UseBias);
        _keyScale = new ScaleOffset(_s, config.UseBias);
        _span = config.AttentionSpan;
        _chunk = config.EffectiveChunkSize;
        if (_span == AttentionSpan.MixedChunk)
        {
            _linearQueryScale = new ScaleOffset(_s, config.UseBias);
            _linearKeyScale = new ScaleOffset(_s, config.UseBias);
        }
        _attentionDropout = nn.Dropout(_attentionDropoutProbability);
        RegisterComponents();
    }

    /// <param name="x">[b, n, d]</param>
    /// <param name="keyMask">[b, n] bool, true for real tokens</param>
    /// <param name="rope">rotations for positions 0..n-1</param>
    public override Tensor forward(Tensor x, Tensor keyMask, RotaryPositionEmbedding rope) =>
        Forward(x, keyMask, rope, explicitly: ForcesExplicitAttention || _normalization == AttentionNormalization.SquaredRelu);

    private Tensor Forward(Tensor x, Tensor keyMask, RotaryPositionEmbedding rope, bool explicitly)
    {
        // [u, v, z] = act(x·W_i); q and k are scaled copies of z, rotated.
        var uvz = _activation(_inputProjection.call(x)).split([_e, _e, _s], dim: -1);
        var (u, v) = (uvz[0], uvz[1]);
        var z = uvz[2];
        var q = rope.Apply(_queryScale.call(z));
        var k = rope.Apply(_keyScale.call(z));
        Func<Tensor, Tensor, Tensor, Tensor, Tensor> attend = explicitly ? AttendExplicitly : AttendFast;
        var attended = _span == AttentionSpan.Full
            ? attend(q, k, v, keyMask)
            : MixedChunkAttention.Attend(q, k, LeavesOutLinearPart ? null : _linearQueryScale!.call(z),
                LeavesOutLinearPart ? null : _linearKeyScale!.call(z), v, keyMask, _chunk, attend);
        return _outputProjection.call(u * attended);
    }

    // The reference form: materialize a, normalize, weight v. With bf16 (or fp16) inputs the logits leave the matmul in
    // that type and are normalized in fp32; the weights go back to v's type for A·v (both casts are no-ops in fp32).
    private Tensor AttendExplicitly(Tensor q, Tensor k, Tensor v, Tensor keyMask)
    {
        var a = InFloat32(q.matmul(k.transpose(-1, -2)));
        if (_attentionScale) a = a.div(_sqrtKeySize);
        var weights = _attentionDropout.call(AttentionNormalizer.Normalize(a, keyMask, _normalization));
        return weights.to(v.dtype).matmul(v);
    }

    // On the CPU, in fp32 and bf16. SDPA would be exact but slower here: its CPU flash kernel needs q, k and v of one width
    // (ours are s and e), so libtorch takes its math fallback: more passes over the n×n logits (an additive mask made from
    // the boolean one, the scale) and, in bf16, q, k and v cast to fp32 so both n×n matmuls run at fp32 speed.
    // Instead, as autocast does: the factor — 1/√s and softmax_plus's log l / log 512 — scales the n×s queries in fp32
    // (not the n×n logits); in bf16 it scales the bf16 logits (fp32 accumulation inside the matmul) and the multiply is
    // also the cast to fp32. Then the mask in place, the softmax in fp32, and the weights in v's type for A·v: three
    // passes over n×n besides the matmuls. In place is safe for autograd: no backward reads the logits.
    private Tensor AttendOnCpu(Tensor q, Tensor k, Tensor v, Tensor keyMask)
    {
        var factor = _normalization == AttentionNormalization.SoftmaxPlus
            ? AttentionNormalizer.SoftmaxPlusScale(keyMask).mul(_logitScale)                   // [b, 1, 1] fp32
            : full([1L, 1, 1], _logitScale, ScalarType.Float32, q.device);
        var logits = IsReducedPrecision(q) ? q.matmul(k.transpose(-1, -2)) * factor : (q * factor).matmul(k.transpose(-1, -2));
        logits.masked_fill_(keyMask.unsqueeze(1).logical_not(), HeldScalars.NegativeInfinity);
        var weights = _attentionDropout.call(logits.softmax(-1));
        return weights.to(v.dtype).matmul(v);
    }

    private static bool IsReducedPrecision(Tensor t) => t.dtype is ScalarType.BFloat16 or ScalarType.Float16;

    private static Tensor InFloat32(Tensor t) => IsReducedPrecision(t) ? t.to(ScalarType.Float32) : t;

    // softmax and softmax_plus through scaled_dot_product_attention on CUDA (the CPU takes AttendOnCpu). SDPA always
    // divides by √s and has no scale argument in TorchSharp 0.107, so our factor goes into q: softmax_plus's
    // log l / log 512, times √s when attention_scale is off. SDPA's bf16 kernels keep the softmax in fp32.
    private Tensor AttendFast(Tensor q, Tensor k, Tensor v, Tensor keyMask)
    {
        if (q.device.type == global::TorchSharp.DeviceType.CPU) return AttendOnCpu(q, k, v, keyMask);
        if (_normalization == AttentionNormalization.SoftmaxPlus)
            q = q * AttentionNormalizer.SoftmaxPlusScale(keyMask).to(q.dtype).mul(_queryUnscale);
        else if (!_attentionScale)
            q = q.mul(_queryUnscale);
        // SDPA applies dropout even in eval mode: pass p only while training.
        double p = training ? _attentionDropoutProbability : 0.0;
        return nn.functional.scaled_dot_product_attention(q, k, v, keyMask.unsqueeze(1), p);
    }

    /// <summary>
    /// Computes the attention explicitly (a materialized, then normalized) instead of the fast path (AttendOnCpu on the
    /// CPU, fused SDPA on CUDA), as the PyTorch port does. The benchmarks use it to reproduce comparisons made before
    /// fused attention existed.
    /// </summary>
    internal bool ForcesExplicitAttention { get; set; }

    /// <summary>Mixed-chunk attention without its linear part: with one chunk it is full attention (a test checks).</summary>
    internal bool LeavesOutLinearPart { get; set; }

    /// <summary>The explicit path for any normalization; tests check the fused path against it.</summary>
    internal Tensor ForwardReference(Tensor x, Tensor keyMask, RotaryPositionEmbedding rope) =>
        Forward(x, keyMask, rope, explicitly: true);

    public Linear InputProjection => _inputProjection;
    public Linear OutputProjection => _outputProjection;
}
