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
    /// Writes ONNX Runtime's fused operators (com.microsoft MultiHeadAttention, SkipSimplifiedLayerNormalization,
    /// QuickGelu, Gelu, DynamicQuantizeMatMul and ONNX Runtime's SimplifiedLayerNormalization): the graph then runs
    /// on ONNX Runtime only, and faster. false writes standard ai.onnx operators only, for any ONNX runtime.
    /// </summary>
    public bool UseOnnxRuntimeOperators { get; init; } = true;

    /// <summary>
    /// softmax and softmax_plus attention as ONNX Runtime's MultiHeadAttention (one head, the softmax_plus factor
    /// folded into q) rather than MatMul, mask, Softmax, MatMul. Only with <see cref="UseOnnxRuntimeOperators"/>.
    /// </summary>
    public bool FusedAttention { get; init; } = true;

    /// <summary>Computes u, v and z with three MatMuls instead of one MatMul and a Split (which copies).</summary>
    public bool SeparateProjections { get; init; }

    /// <summary>
    /// The value masked attention logits are set to before softmax: finite, so a fully padded row gives finite
    /// (uniform) weights instead of NaN, and far enough below any real logit that masked keys get exactly zero weight.
    /// </summary>
    public float MaskFill { get; init; } = -1e9f;

    /// <summary>Writes the config and head into the model's metadata (metadata_props).</summary>
    public bool WriteMetadata { get; init; } = true;
}
