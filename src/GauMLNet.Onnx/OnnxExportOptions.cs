namespace GauMLNet.Onnx;

/// <summary>How the weights of the large matrix multiplications are stored and multiplied.</summary>
public enum OnnxQuantization
{
    /// <summary>fp32 weights and fp32 MatMul.</summary>
    None,

    /// <summary>
    /// Dynamic int8: int8 weights (symmetric, per output channel or per tensor), activations quantized to uint8 per
    /// call, integer matmul, fp32 out. Applies to every GAU's i_dense and o_dense and to the MLM and token heads'
    /// projections; attention (q·kᵀ, A·v), the embeddings and pooled heads stay fp32.
    /// </summary>
    DynamicInt8,
}

/// <summary>Options of <see cref="GauOnnxExporter"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The ai.onnx operator set the graph imports (see <see cref="GauOnnxExporter.Opset"/> for why).</summary>
    public const int DefaultOpset = GauOnnxExporter.Opset;

    public OnnxQuantization Quantization { get; init; } = OnnxQuantization.None;

    /// <summary>int8 only: one scale per output channel (column of the transposed weight) rather than one per matrix.</summary>
    public bool PerChannelScales { get; init; } = true;

    /// <summary>
    /// Writes ONNX Runtime's fused operators (com.microsoft SkipSimplifiedLayerNormalization, QuickGelu, Gelu,
    /// DynamicQuantizeMatMul, optionally MultiHeadAttention, and ONNX Runtime's SimplifiedLayerNormalization): the graph then runs
    /// on ONNX Runtime only, and faster. false writes standard ai.onnx operators only, for any ONNX runtime.
    /// </summary>
    public bool UseOnnxRuntimeOperators { get; init; } = true;

    /// <summary>
    /// softmax and softmax_plus attention as ONNX Runtime's MultiHeadAttention (one head, the softmax_plus factor
    /// folded into q) rather than MatMul, Where, Softmax, MatMul. Only with <see cref="UseOnnxRuntimeOperators"/>.
    /// Off by default: on a 2-core AMD EPYC it was no faster in fp32 and 5–15% slower with int8 weights.
    /// </summary>
    public bool FusedAttention { get; init; }

    /// <summary>
    /// Computes u, v and z with one MatMul each instead of one MatMul and a Split (which copies the [batch,
    /// sequence, 2e+s] activation). On by default: as fast in fp32, faster with int8 weights on the same CPU.
    /// </summary>
    public bool SeparateProjections { get; init; } = true;

    /// <summary>
    /// What a masked key adds to its attention logits before softmax (with <see cref="FusedAttention"/>, the value they
    /// are set to): finite, so a fully padded row gives finite (nearly uniform) weights instead of NaN, and far enough
    /// below any real logit that masked keys get exactly zero weight.
    /// </summary>
    public float MaskFill { get; init; } = -1e9f;

    /// <summary>Writes the config and head into the model's metadata (metadata_props).</summary>
    public bool WriteMetadata { get; init; } = true;
}
