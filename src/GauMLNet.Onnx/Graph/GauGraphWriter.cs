using GauMLNet.Configuration;
using static GauMLNet.Onnx.Protos.TensorProto.Types;

namespace GauMLNet.Onnx.Graph;

/// <summary>
/// Writes the GAU-α encoder as ONNX nodes, the math of GauMLNet's TorchSharp modeling code op for op:
/// <list type="bullet">
/// <item>embeddings: RMSNorm(E_tok[input_ids] + E_seg[token_type_ids]);</item>
/// <item>each layer: [u, v, z] = act(x·W_i (+b)); q = RoPE(γ_q⊙z (+β_q)), k = RoPE(γ_k⊙z (+β_k));
/// A = normalize(q·kᵀ (/√s)) over unmasked keys; x ← RMSNorm(x + (u ⊙ A·v)·W_o (+b));</item>
/// <item>RoPE over adjacent pairs (2i, 2i+1), θᵢ = 10000^(−2i/s), its angles computed in the graph (in double) from
/// the input's length: any length, no table;</item>
/// <item>mixed-chunk attention (attention: mixed_chunk) as MixedChunkAttention computes it: the sequence padded to whole
/// chunks and reshaped to [batch·chunks, C, ·] for the quadratic part (each chunk's own softmax_plus factor or key count), plus
/// q_lin·(Σ k_lin⊗v)/l over the row's real tokens;</item>
/// <item>masking with a finite fill (<see cref="OnnxExportOptions.MaskFill"/>), so fully padded rows stay finite; for softmax the
/// fill rides in the logits' product as one more column of q and k.</item>
/// </list>
/// Heads then read <see cref="Hidden"/> and use <see cref="Pool"/>, <see cref="Linear"/> and <see cref="Output"/>.
/// </summary>
internal sealed class GauGraphWriter
{
    private readonly bool _ortOperators;
    private readonly bool _int8;
    private string? _maskBool, _maskFloat, _realCount, _ones3, _keyFill3, _keyMaskInt32, _softmaxPlusFactor, _keyWeights3;
    private ChunkMask? _chunkMask;
    private string _wordEmbeddings = "", _ones = "";
    private readonly Dictionary<int, (string Cos, string Sin, string Rotate)> _rotary = [];

    public GauGraphWriter(GauAlphaConfig config, GauWeights weights, GraphSettings options)
    {
        Config = config.Validate();
        Weights = weights;
        Options = options;
        _ortOperators = options.UseOnnxRuntimeOperators;
        _int8 = options.Int8;
        if (!float.IsFinite(options.MaskFill)) throw new ArgumentException("MaskFill must be finite.", nameof(options));
    }

    public OnnxGraphBuilder Builder { get; } = new("gau_alpha");
    public GauAlphaConfig Config { get; }
    public GauWeights Weights { get; }
    public GraphSettings Options { get; }

    /// <summary>The encoder's output [batch, sequence, hidden].</summary>
    public string Hidden { get; private set; } = "";

    private OnnxGraphBuilder B => Builder;
    private int D => Config.HiddenSize;
    private int E => Config.IntermediateSize;
    private int S => Config.AttentionKeySize;

    public void WriteEncoder()
    {
        B.Input(GraphInputs.InputIds, DataType.Int64, GraphInputs.BatchAxis, GraphInputs.SequenceAxis);
        B.Input(GraphInputs.TokenTypeIds, DataType.Int64, GraphInputs.BatchAxis, GraphInputs.SequenceAxis);
        B.Input(GraphInputs.AttentionMask, DataType.Int64, GraphInputs.BatchAxis, GraphInputs.SequenceAxis);
        if (_ortOperators) _ones = B.Initializer("norm.ones", Enumerable.Repeat(1f, D).ToArray(), D); // RMSNorm's γ: GAU-α has none

        // Embeddings: no positions (RoPE carries them).
        const string embeddings = "gau_alpha.embeddings.";
        _wordEmbeddings = B.Initializer(embeddings + "word_embeddings.weight", Weights.Read(embeddings + "word_embeddings.weight", Config.VocabSize, D), Config.VocabSize, D);
        string segments = B.Initializer(embeddings + "token_type_embeddings.weight", Weights.Read(embeddings + "token_type_embeddings.weight", Config.TypeVocabSize, D), Config.TypeVocabSize, D);
        string tokens = B.Op("Gather", "embeddings/tokens", [_wordEmbeddings, GraphInputs.InputIds], Attr.Int("axis", 0));
        string types = B.Op("Gather", "embeddings/segments", [segments, GraphInputs.TokenTypeIds], Attr.Int("axis", 0));
        string x = RmsNorm(B.Op("Add", "embeddings/sum", [tokens, types]), "embeddings/norm");

        for (int i = 0; i < Config.NumHiddenLayers; i++) x = WriteLayer(x, i);
        Hidden = x;
    }

    // cos and sin [n, dim] of position·θ, θᵢ = 10000^(-2i/dim) repeated for both members of a pair (θ₀ θ₀ θ₁ θ₁ …),
    // computed in double as the reference does; and the pair rotation (x₀, x₁, …) → (−x₁, x₀, …) as an exact ±1 matrix.
    // One set of tables per width (the encoder's s, a head's own).
    private (string Cos, string Sin, string Rotate) RotaryTables(int dim)
    {
        if (_rotary.TryGetValue(dim, out var tables)) return tables;
        string r = dim == S ? "rope" : $"rope{dim}";
        // One angle per pair (θ₀ θ₁ …), cos and sin of it, then each value twice: half the trigonometry.
        var inverseFrequency = new double[dim / 2];
        for (int i = 0; i < dim / 2; i++) inverseFrequency[i] = Math.Pow(10000.0, -(2.0 * i) / dim);
        string frequencies = B.Initializer(r + ".inverse_frequency", inverseFrequency, dim / 2);
        string length = B.Op("Gather", r + "/length", [B.Op("Shape", r + "/input_shape", [GraphInputs.InputIds]), B.Scalar(1L)], Attr.Int("axis", 0));
        string positions = B.Op("Range", r + "/positions", [B.Scalar(0L), length, B.Scalar(1L)]);
        string column = B.Op("Unsqueeze", r + "/positions_column", [B.Op("Cast", r + "/positions_double", [positions], Attr.Int("to", (long)DataType.Double)), B.Int64s(1)]);
        string angles = B.Op("Unsqueeze", r + "/angles", [B.Op("Mul", r + "/pair_angles", [column, frequencies]), B.Int64s(2)]); // [n, dim/2, 1]
        string Twice(string half, string hint) => B.Op("Reshape", hint, [B.Op("Concat", hint + "_pairs", [half, half], Attr.Int("axis", 2)), B.Int64s(-1, dim)]);
        string cos = Twice(B.Op("Cast", r + "/cos_half", [B.Op("Cos", r + "/cos_double", [angles])], Attr.Int("to", (long)DataType.Float)), r + "/cos");
        string sin = Twice(B.Op("Cast", r + "/sin_half", [B.Op("Sin", r + "/sin_double", [angles])], Attr.Int("to", (long)DataType.Float)), r + "/sin");
        var rotate = new float[dim * dim];
        for (int i = 0; i < dim / 2; i++)
        {
            rotate[(2 * i + 1) * dim + 2 * i] = -1f; // out[2i] = −x[2i+1]
            rotate[2 * i * dim + 2 * i + 1] = 1f;    // out[2i+1] = x[2i]
        }
        tables = (cos, sin, B.Initializer(r + ".rotate_pairs", rotate, dim, dim));
        _rotary[dim] = tables;
        return tables;
    }

    /// <summary>RoPE over adjacent pairs of the last axis (width <paramref name="dim"/>) of x [batch, sequence, dim].</summary>
    public string Rope(string x, int dim, string hint)
    {
        var (cos, sin, rotate) = RotaryTables(dim);
        return B.Op("Add", hint, [B.Op("Mul", hint + "_cos", [x, cos]), B.Op("Mul", hint + "_sin", [B.Op("MatMul", hint + "_rotated", [x, rotate]), sin])]);
    }

    private string WriteLayer(string x, int index)
    {
        string p = $"gau_alpha.encoder.layer.{index}.gau.";
        string h = $"layer{index}/";
        bool mixedChunk = Config.AttentionSpan == AttentionSpan.MixedChunk;
        bool fusedAttention = _ortOperators && Options.FusedAttention && Config.AttentionNormalization != AttentionNormalization.SquaredRelu && !mixedChunk;
        float scale = Config.AttentionScale ? 1f / MathF.Sqrt(S) : 1f;

        var (u, v, z) = InputProjection(x, p + "i_dense", h);

        // q and k: scaled (and offset) copies of z, rotated. Without a fused attention the 1/√s of the logits is
        // folded into γ_q (and β_q): RoPE is linear, so q·kᵀ/√s = (q/√s)·kᵀ.
        string q = Rope(ScaleOffset(z, p + "q_scaleoffset", fusedAttention ? 1f : scale, h + "q_scaled"), S, h + "q");
        string k = Rope(ScaleOffset(z, p + "k_scaleoffset", 1f, h + "k_scaled"), S, h + "k");
        if (Config.AttentionNormalization == AttentionNormalization.SoftmaxPlus && !mixedChunk)
            q = B.Op("Mul", h + "q_softmax_plus", [q, SoftmaxPlusFactor()]);

        string attended;
        if (mixedChunk)
        {
            attended = MixedChunkAttention(q, k, v, z, p, h);
        }
        else if (fusedAttention)
        {
            attended = B.MsOp("MultiHeadAttention", h + "attended", [q, k, v, "", KeyMaskInt32()],
                Attr.Int("num_heads", 1), Attr.Float("scale", scale), Attr.Float("mask_filter_value", Options.MaskFill));
        }
        else
        {
            string weights;
            if (Config.AttentionNormalization == AttentionNormalization.SquaredRelu)
            {
                weights = SquaredRelu(B.Op("MatMul", h + "logits", [q, B.Op("Transpose", h + "k_t", [k], Attr.Ints("perm", 0, 2, 1))]), h);
            }
            else
            {
                // The key mask rides in the product: [q, 1]·[k, fill·(1 − mask)]ᵀ = q·kᵀ + (0 or the fill) per key, so no
                // n×n masking pass.
                string maskedQ = B.Op("Concat", h + "q_masking", [q, Ones3()], Attr.Int("axis", -1));
                string maskedK = B.Op("Concat", h + "k_masking", [k, KeyFill3()], Attr.Int("axis", -1));
                string logits = B.Op("MatMul", h + "logits", [maskedQ, B.Op("Transpose", h + "k_t", [maskedK], Attr.Ints("perm", 0, 2, 1))]);
                weights = B.Op("Softmax", h + "weights", [logits], Attr.Int("axis", -1));
            }
            attended = B.Op("MatMul", h + "attended", [weights, v]);
        }

        string gated = B.Op("Mul", h + "gated", [u, attended]);
        string? bias = Config.UseBias ? B.Initializer(p + "o_dense.bias", Weights.Read(p + "o_dense.bias", D), D) : null;
        string output = MatMul(gated, p + "o_dense", D, E, h + "o_dense", _int8, _ortOperators ? null : bias);
        return ResidualRmsNorm(x, output, _ortOperators ? bias : null, h + "norm");
    }

    // Mixed-chunk attention. Quadratic: q, k, v padded to g·C tokens and reshaped to [b·g, C, ·]; each chunk normalizes
    // over its own real keys (a chunk of padding only sees all of itself: finite, read by nobody). Linear: the row's
    // summary Σ k_lin⊗v over real tokens, divided by their count, read by every query. q arrives scaled by 1/√s.
    private string MixedChunkAttention(string q, string k, string v, string z, string p, string h)
    {
        var chunks = ChunkMaskValues();
        string Chunked(string x, int width, string name) =>
            B.Op("Reshape", h + name + "_chunks", [B.Op("Pad", h + name + "_padded", [x, chunks.Pads3]), B.Int64s(-1, chunks.Size, width)]);
        string qc = Chunked(q, S, "q"), kc = Chunked(k, S, "k"), vc = Chunked(v, E, "v");
        string logits = B.Op("MatMul", h + "chunk_logits", [qc, B.Op("Transpose", h + "chunk_k_t", [kc], Attr.Ints("perm", 0, 2, 1))]);
        string weights;
        if (Config.AttentionNormalization == AttentionNormalization.SquaredRelu)
        {
            string relu = B.Op("Relu", h + "chunk_relu", [logits]);
            weights = B.Op("Mul", h + "chunk_weights", [B.Op("Mul", h + "chunk_relu_squared", [relu, relu]), chunks.KeyWeights]);
        }
        else
        {
            if (Config.AttentionNormalization == AttentionNormalization.SoftmaxPlus)
                logits = B.Op("Mul", h + "chunk_softmax_plus", [logits, chunks.SoftmaxPlusFactor]);
            weights = B.Op("Softmax", h + "chunk_weights", [B.Op("Add", h + "chunk_masked", [logits, chunks.KeyFill])], Attr.Int("axis", -1));
        }
        string quadChunks = B.Op("MatMul", h + "chunk_attended", [weights, vc]);                                    // [b·g, C, e]
        string quad = B.Op("Slice", h + "quadratic", [B.Op("Reshape", h + "quadratic_padded", [quadChunks, chunks.RowShape]),
            B.Int64s(0), chunks.Length, B.Int64s(1)]);                                                                 // [b, n, e]

        string linearQuery = ScaleOffset(z, p + "q_lin_scaleoffset", 1f, h + "q_lin");
        string linearKey = B.Op("Mul", h + "k_lin_real", [ScaleOffset(z, p + "k_lin_scaleoffset", 1f, h + "k_lin"), chunks.RealOverCount]);
        string summary = B.Op("MatMul", h + "linear_summary", [B.Op("Transpose", h + "k_lin_t", [linearKey], Attr.Ints("perm", 0, 2, 1)), v]); // [b, s, e]
        return B.Op("Add", h + "attended", [quad, B.Op("MatMul", h + "linear", [linearQuery, summary])]);
    }

    private sealed record ChunkMask(int Size, string Pads3, string Length, string RowShape, string KeyFill, string SoftmaxPlusFactor, string KeyWeights,
        string RealOverCount);

    // The mask-derived values of mixed-chunk attention, made once and shared by every layer.
    private ChunkMask ChunkMaskValues()
    {
        if (_chunkMask is not null) return _chunkMask;
        int c = Config.EffectiveChunkSize;
        string shape = B.Op("Shape", "chunks/mask_shape", [GraphInputs.AttentionMask]);
        string batch = B.Op("Slice", "chunks/batch", [shape, B.Int64s(0), B.Int64s(1), B.Int64s(0)]);
        string length = B.Op("Slice", "chunks/length", [shape, B.Int64s(1), B.Int64s(2), B.Int64s(0)]);
        string chunkSize = B.Int64s(c);
        string padding = B.Op("Mod", "chunks/padding", [B.Op("Sub", "chunks/short", [chunkSize, B.Op("Mod", "chunks/remainder", [length, chunkSize])]), chunkSize]);
        string zeros4 = B.Int64s(0, 0, 0, 0);
        string pads3 = B.Op("Concat", "chunks/pads3", [zeros4, padding, B.Int64s(0)], Attr.Int("axis", 0));   // [0,0,0, 0,pad,0]
        string pads2 = B.Op("Concat", "chunks/pads2", [B.Int64s(0, 0, 0), padding], Attr.Int("axis", 0));     // [0,0, 0,pad]
        string mask = B.Op("Reshape", "chunks/mask", [B.Op("Pad", "chunks/mask_padded", [MaskFloat(), pads2]), B.Int64s(-1, c)]); // [b·g, C]
        string count = B.Op("ReduceSum", "chunks/count", [mask, B.Int64s(1)], Attr.Int("keepdims", 1));    // [b·g, 1]
        string empty = B.Op("Cast", "chunks/empty", [B.Op("Equal", "chunks/is_empty", [count, B.Scalar(0f)])], Attr.Int("to", (long)DataType.Float));
        string visible = B.Op("Max", "chunks/visible", [mask, empty]);
        string visibleCount = B.Op("ReduceSum", "chunks/visible_count", [visible, B.Int64s(1)], Attr.Int("keepdims", 1));
        string keyFill = B.Op("Unsqueeze", "chunks/key_fill", [B.Op("Mul", "chunks/fill", [B.Op("Sub", "chunks/hidden", [B.Scalar(1f), visible]), B.Scalar(Options.MaskFill)]), B.Int64s(1)]);
        string softmaxPlus = SoftmaxPlusFactorOf(visibleCount, "chunks/");
        string keyWeights = KeyWeightsOf(visible, visibleCount, "chunks/");
        string rowShape = B.Op("Concat", "chunks/row_shape", [batch, B.Int64s(-1, E)], Attr.Int("axis", 0));
        string realOverCount = B.Op("Unsqueeze", "chunks/real_over_count", [B.Op("Div", "chunks/mask_over_count", [MaskFloat(), RealCount()]), B.Int64s(2)]);
        return _chunkMask = new ChunkMask(c, pads3, length, rowShape, keyFill, softmaxPlus, keyWeights, realOverCount);
    }

    // [u, v, z] = act(x·W_i (+b)): one MatMul and a Split, or (SeparateProjections) one MatMul per part.
    private (string U, string V, string Z) InputProjection(string x, string prefix, string h)
    {
        int outputs = 2 * E + S;
        if (!Options.SeparateProjections)
        {
            string uvz = Activation(Linear(x, prefix, outputs, h + "i_dense", _int8, Config.UseBias), h + "act");
            var parts = B.Op("Split", [h + "u", h + "v", h + "z"], [uvz, B.Int64s(E, E, S)], "", Attr.Int("axis", -1));
            return (parts[0], parts[1], parts[2]);
        }
        var transposed = GauWeights.Transpose(Weights.Read(prefix + ".weight", outputs, D), outputs, D); // [d, 2e+s]
        var bias = Config.UseBias ? Weights.Read(prefix + ".bias", outputs) : null;
        string Part(string name, int from, int width)
        {
            var w = new float[D * width];
            for (int r = 0; r < D; r++) Array.Copy(transposed, r * outputs + from, w, r * width, width);
            string? b = bias is null ? null : B.Initializer($"{prefix}.bias_{name}", bias[from..(from + width)], width);
            string y = _int8 ? QuantizedMatMul(x, w, D, width, $"{prefix}_{name}", h + "i_dense_" + name, b)
                : AddBias(B.Op("MatMul", h + "i_dense_" + name, [x, B.Initializer($"{prefix}.weight_t_{name}", DataType.Float, GauWeights.ToBytes(w), D, width)]), b, h + "i_dense_" + name);
            return Activation(y, h + name);
        }
        return (Part("u", 0, E), Part("v", E, E), Part("z", 2 * E, S));
    }

    private string SquaredRelu(string logits, string h)
    {
        // relu(a)² / l over unmasked keys (masked keys weigh exactly 0): relu(a)² · (mask / l).
        string relu = B.Op("Relu", h + "relu", [logits]);
        return B.Op("Mul", h + "weights", [B.Op("Mul", h + "relu_squared", [relu, relu]), KeyWeights3()]);
    }

    private string ScaleOffset(string z, string prefix, float factor, string hint)
    {
        var gamma = Weights.Read(prefix + ".weight", S).Select(g => g * factor).ToArray();
        string scaled = B.Op("Mul", hint, [z, B.Initializer(prefix + ".weight", gamma, S)]);
        if (!Config.UseBias) return scaled;
        var beta = Weights.Read(prefix + ".bias", S).Select(b => b * factor).ToArray();
        return B.Op("Add", hint + "_offset", [scaled, B.Initializer(prefix + ".bias", beta, S)]);
    }

    private string Activation(string x, string hint)
    {
        switch (Config.HiddenAct)
        {
            case "swish" or "silu":
                return _ortOperators
                    ? B.MsOp("QuickGelu", hint, [x], Attr.Float("alpha", 1f)) // x·σ(1·x)
                    : B.Op("Mul", hint, [x, B.Op("Sigmoid", hint + "_sigmoid", [x])]);
            case "gelu":
                if (_ortOperators) return B.MsOp("Gelu", hint, [x]); // exact (erf) GELU, as TorchSharp's gelu
                string erf = B.Op("Erf", hint + "_erf", [B.Op("Mul", hint + "_scaled", [x, B.Scalar((float)(1 / Math.Sqrt(2)))])]);
                return B.Op("Mul", hint, [B.Op("Mul", hint + "_half", [x, B.Scalar(0.5f)]), B.Op("Add", hint + "_1p", [erf, B.Scalar(1f)])]);
            case "relu":
                return B.Op("Relu", hint, [x]);
            default:
                throw new InvalidDataException($"config key 'hidden_act': unknown activation '{Config.HiddenAct}'.");
        }
    }

    private string RmsNorm(string x, string hint)
    {
        float eps = (float)Config.LayerNormEps;
        if (_ortOperators)
            return B.Op("SimplifiedLayerNormalization", [hint], [x, _ones], "", Attr.Int("axis", -1), Attr.Float("epsilon", eps), Attr.Int("stash_type", 1))[0];
        string meanSquare = B.Op("ReduceMean", hint + "_mean_square", [B.Op("Mul", hint + "_square", [x, x])], Attr.Ints("axes", -1), Attr.Int("keepdims", 1));
        return B.Op("Div", hint, [x, B.Op("Sqrt", hint + "_rms", [B.Op("Add", hint + "_eps", [meanSquare, B.Scalar(eps)])])]);
    }

    // RMSNorm(x + o (+ bias)): one SkipSimplifiedLayerNormalization on ONNX Runtime.
    private string ResidualRmsNorm(string x, string output, string? bias, string hint)
    {
        if (!_ortOperators) return RmsNorm(B.Op("Add", hint + "_residual", [x, output]), hint);
        string[] inputs = bias is null ? [output, x, _ones] : [output, x, _ones, bias];
        return B.Op("SkipSimplifiedLayerNormalization", [hint], inputs, OnnxDomains.Microsoft, Attr.Float("epsilon", (float)Config.LayerNormEps))[0];
    }

    /// <summary>
    /// y = x·Wᵀ (+ b) for the port's Linear <paramref name="prefix"/>.weight [outputs, inputs] (+ .bias [outputs]);
    /// int8 when <paramref name="quantize"/> and the export quantizes. <paramref name="inputs"/> 0: the hidden size.
    /// </summary>
    public string Linear(string x, string prefix, int outputs, string hint, bool quantize, bool bias = true, int inputs = 0)
    {
        inputs = inputs == 0 ? D : inputs;
        string? b = bias ? B.Initializer(prefix + ".bias", Weights.Read(prefix + ".bias", outputs), outputs) : null;
        return MatMul(x, prefix, outputs, inputs, hint, quantize && _int8, b);
    }

    private string MatMul(string x, string prefix, int outputs, int inputs, string hint, bool quantize, string? bias)
    {
        var transposed = GauWeights.Transpose(Weights.Read(prefix + ".weight", outputs, inputs), outputs, inputs);
        return quantize ? QuantizedMatMul(x, transposed, inputs, outputs, prefix, hint, bias)
            : AddBias(B.Op("MatMul", hint, [x, B.Initializer(prefix + ".weight_t", DataType.Float, GauWeights.ToBytes(transposed), inputs, outputs)]), bias, hint);
    }

    private string AddBias(string y, string? bias, string hint) => bias is null ? y : B.Op("Add", hint + "_bias", [y, bias]);

    // Dynamic int8: x quantized to uint8 per call (asymmetric, per tensor), weights int8 symmetric; fp32 out.
    private string QuantizedMatMul(string x, float[] transposed, int inputs, int outputs, string prefix, string hint, string? bias)
    {
        var (values, scales) = Int8Quantizer.Quantize(transposed, inputs, outputs, Options.PerChannelScales);
        string weight = B.Initializer(prefix + ".weight_int8", values, inputs, outputs);
        string scale = Options.PerChannelScales ? B.Initializer(prefix + ".weight_scale", scales, outputs) : B.Initializer(prefix + ".weight_scale", scales);
        if (_ortOperators)
            return B.MsOp("DynamicQuantizeMatMul", hint, bias is null ? [x, weight, scale] : [x, weight, scale, "", bias]);
        var quantized = B.Op("DynamicQuantizeLinear", [hint + "_x_q", hint + "_x_scale", hint + "_x_zero"], [x], "");
        string product = B.Op("MatMulInteger", hint + "_int32", [quantized[0], weight, quantized[2]]);
        string combined = B.Op("Mul", hint + "_scale", [quantized[1], scale]);
        string y = B.Op("Mul", hint, [B.Op("Cast", hint + "_float", [product], Attr.Int("to", (long)DataType.Float)), combined]);
        return AddBias(y, bias, hint);
    }

    /// <summary>MLM logits h·Eᵀ against the word embeddings themselves (a Gemm with transB: no transposed copy); int8 quantizes a transposed copy.</summary>
    public string TiedDecoder(string hidden)
    {
        string flat = B.Op("Reshape", "mlm/flat", [hidden, B.Int64s(-1, D)]);
        string logits;
        if (_int8)
        {
            var transposed = GauWeights.Transpose(Weights.Read("gau_alpha.embeddings.word_embeddings.weight", Config.VocabSize, D), Config.VocabSize, D);
            logits = QuantizedMatMul(flat, transposed, D, Config.VocabSize, "mlm.tied_decoder", "mlm/logits_flat", null);
        }
        else
        {
            logits = B.Op("Gemm", "mlm/logits_flat", [flat, _wordEmbeddings], Attr.Int("transB", 1));
        }
        string shape = B.Op("Concat", "mlm/shape", [B.Op("Shape", "mlm/input_shape", [GraphInputs.InputIds]), B.Int64s(Config.VocabSize)], Attr.Int("axis", 0));
        return B.Op("Reshape", "mlm/logits", [logits, shape]);
    }

    /// <summary>[batch, hidden]: the first token's hidden state, or the mean over real tokens.</summary>
    public string Pool(SequencePooling pooling)
    {
        switch (pooling)
        {
            case SequencePooling.First:
                return B.Op("Gather", "pool/first", [Hidden, B.Scalar(0L)], Attr.Int("axis", 1));
            case SequencePooling.Mean:
                string weights = B.Op("Unsqueeze", "pool/weights", [MaskFloat(), B.Int64s(2)]);
                string sum = B.Op("ReduceSum", "pool/sum", [B.Op("Mul", "pool/masked", [Hidden, weights]), B.Int64s(1)], Attr.Int("keepdims", 0));
                return B.Op("Div", "pool/mean", [sum, RealCount()]);
            default:
                throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Unknown pooling.");
        }
    }

    /// <summary>Declares a float graph output.</summary>
    public void Output(string value, string name, params object[] dims) => B.Output(value, name, DataType.Float, dims);

    // Mask-derived values, made once and shared by every layer.
    private string MaskBool() => _maskBool ??= B.Op("Cast", "mask/bool", [GraphInputs.AttentionMask], Attr.Int("to", (long)DataType.Bool));

    private string MaskFloat() => _maskFloat ??= B.Op("Cast", "mask/float", [MaskBool()], Attr.Int("to", (long)DataType.Float));

    // l = max(number of real tokens, 1), [batch, 1].
    private string RealCount() => _realCount ??= B.Op("Max", "mask/count",
        [B.Op("ReduceSum", "mask/sum", [MaskFloat(), B.Int64s(1)], Attr.Int("keepdims", 1)), B.Scalar(1f)]);

    // [batch, sequence, 1]: ones, and the fill where a key is padding (0 where it is real).
    private string Ones3() => _ones3 ??= B.Op("Expand", "mask/ones", [B.Initializer("mask.one", [1f], 1, 1, 1),
        B.Op("Concat", "mask/column_shape", [B.Op("Shape", "mask/shape", [GraphInputs.AttentionMask]), B.Int64s(1)], Attr.Int("axis", 0))]);

    private string KeyFill3() => _keyFill3 ??= B.Op("Unsqueeze", "mask/key_fill",
        [B.Op("Mul", "mask/fill", [B.Op("Sub", "mask/padding", [B.Scalar(1f), MaskFloat()]), B.Scalar(Options.MaskFill)]), B.Int64s(2)]);

    private string KeyMaskInt32() => _keyMaskInt32 ??= B.Op("Cast", "mask/keys_int32", [MaskBool()], Attr.Int("to", (long)DataType.Int32));

    // softmax_plus: log l / log 512 per row, [batch, 1, 1].
    private string SoftmaxPlusFactor() => _softmaxPlusFactor ??= SoftmaxPlusFactorOf(RealCount(), "mask/");

    // squared_relu: mask / l, [batch, 1, keys].
    private string KeyWeights3() => _keyWeights3 ??= KeyWeightsOf(MaskFloat(), RealCount(), "mask/");

    // log l / log 512 from key counts l [rows, 1]: [rows, 1, 1] (rows: the batch's, or mixed-chunk's chunks).
    private string SoftmaxPlusFactorOf(string count, string hint) => B.Op("Unsqueeze", hint + "softmax_plus_factor",
        [B.Op("Div", hint + "log_ratio", [B.Op("Log", hint + "log_count", [count]), B.Scalar((float)Math.Log(512.0))]), B.Int64s(2)]);

    // mask / l from a float key mask [rows, keys] and its counts [rows, 1]: [rows, 1, keys].
    private string KeyWeightsOf(string mask, string count, string hint) =>
        B.Op("Unsqueeze", hint + "key_weights", [B.Op("Div", hint + "mask_over_count", [mask, count]), B.Int64s(1)]);
}
