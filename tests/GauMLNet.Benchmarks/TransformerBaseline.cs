using GauMLNet.TorchSharp.Modeling;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>
/// The comparison model: a RoFormerV2-style Attention+FFN layer of the same structure as GAU-α —
/// multi-head attention 12×64 with RoPE, FFN 3072 (ReLU), no biases, post RMSNorm. Two GAU layers
/// stand for one of these.
/// </summary>
internal sealed class TransformerLayer : nn.Module
{
    [ComponentName(Name = "qkv")] private readonly Linear _qkv;
    [ComponentName(Name = "out")] private readonly Linear _out;
    [ComponentName(Name = "ffn_in")] private readonly Linear _ffnIn;
    [ComponentName(Name = "ffn_out")] private readonly Linear _ffnOut;
    private readonly RmsNorm _norm1 = new(1e-12), _norm2 = new(1e-12);
    private readonly int _heads, _headSize;
    private readonly bool _writesAttentionOut;

    public TransformerLayer(bool writesAttentionOut, int hidden = 768, int heads = 12, int ffn = 3072) : base(nameof(TransformerLayer))
    {
        _writesAttentionOut = writesAttentionOut;
        _heads = heads;
        _headSize = hidden / heads;
        _qkv = nn.Linear(hidden, 3 * hidden, hasBias: false);
        _out = nn.Linear(hidden, hidden, hasBias: false);
        _ffnIn = nn.Linear(hidden, ffn, hasBias: false);
        _ffnOut = nn.Linear(ffn, hidden, hasBias: false);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor keyMask, RotaryPositionEmbedding rope)
    {
        using var scope = NewDisposeScope(); // the same per-layer temporaries discipline as GauLayer
        long b = x.shape[0], n = x.shape[1];
        var qkv = _qkv.forward(x).view(b, n, 3, _heads, _headSize).permute(2, 0, 3, 1, 4); // [3, b, h, n, hs]
        var q = rope.Apply(qkv[0]);
        var k = rope.Apply(qkv[1]);
        var keys = keyMask.unsqueeze(1).unsqueeze(1); // [b, 1, 1, n]
        var attended = _writesAttentionOut
            ? (q.matmul(k.transpose(-1, -2)) / Math.Sqrt(_headSize)).masked_fill(keys.logical_not(), double.NegativeInfinity).softmax(-1).matmul(qkv[2])
            : nn.functional.scaled_dot_product_attention(q, k, qkv[2], keys, 0.0);
        x = _norm1.forward(x + _out.forward(attended.transpose(1, 2).reshape(b, n, -1)));
        return _norm2.forward(x + _ffnOut.forward(nn.functional.relu(_ffnIn.forward(x)))).MoveToOuterDisposeScope();
    }

    /// <summary>Forward FLOPs per token at length n (matmuls only).</summary>
    public static double FlopsPerToken(long n, int d = 768, int ffn = 3072) => 2.0 * d * 3 * d + 2.0 * d * d + 2.0 * 2 * d * ffn + 2.0 * 2 * n * d;
}

internal sealed class TransformerStack : nn.Module
{
    [ComponentName(Name = "layers")] private readonly ModuleList<TransformerLayer> _layers;
    private readonly TransformerLayer[] _array;

    public TransformerStack(int layers, bool writesAttentionOut) : base(nameof(TransformerStack))
    {
        _array = Enumerable.Range(0, layers).Select(_ => new TransformerLayer(writesAttentionOut)).ToArray();
        _layers = nn.ModuleList(_array);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor keyMask)
    {
        var rope = RotaryPositionEmbedding.Create(x.shape[1], 64, x.device, x.dtype);
        foreach (var layer in _array) x = layer.Forward(x, keyMask, rope);
        return x;
    }
}
