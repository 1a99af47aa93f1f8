using GauMLNet.Onnx.Graph;

namespace GauMLNet.Onnx;

/// <summary>
/// Every name the ONNX side of GauMLNet agrees on: the package member, the graph's inputs and outputs, its
/// symbolic axes and its metadata keys.
/// </summary>
public static class OnnxNames
{
    /// <summary>The exported graph's file in a model package or directory.</summary>
    public const string ModelMember = "model.onnx";

    /// <summary>The engine name gau-task.json stores for ONNX Runtime.</summary>
    public const string EngineName = "onnxruntime";

    // Inputs: int64 [batch, sequence].
    public const string InputIds = GraphInputs.InputIds;
    public const string TokenTypeIds = GraphInputs.TokenTypeIds;
    public const string AttentionMask = GraphInputs.AttentionMask;

    // Symbolic axes.
    public const string BatchAxis = GraphInputs.BatchAxis;
    public const string SequenceAxis = GraphInputs.SequenceAxis;

    // Outputs.
    /// <summary>Classification: [batch, classes] raw logits. Token classification: [batch, sequence, tags].</summary>
    public const string Logits = "logits";
    /// <summary>GlobalPointer span scores [batch, types, sequence, sequence].</summary>
    public const string SpanLogits = "span_logits";
    /// <summary>Classification: softmax(logits), [batch, classes].</summary>
    public const string Probabilities = "probabilities";
    /// <summary>Regression: [batch, 1].</summary>
    public const string Score = "score";
    /// <summary>Embedding: the pooled hidden state, [batch, hidden].</summary>
    public const string Embedding = "embedding";
    /// <summary>Masked LM (checkpoints): the encoder's output, [batch, sequence, hidden].</summary>
    public const string LastHiddenState = "last_hidden_state";
    /// <summary>Masked LM (checkpoints): [batch, sequence, vocab].</summary>
    public const string MlmLogits = "mlm_logits";

    // Model metadata (ModelProto.metadata_props).
    /// <summary>The output an inference engine returns: the head's raw output (logits, score, embedding).</summary>
    public const string RawOutputKey = "gau.raw_output";
    /// <summary>The head: sequence_classification, regression, embedding, masked_lm, token_classification.</summary>
    public const string HeadKey = "gau.head";
    /// <summary>none or dynamic_int8.</summary>
    public const string QuantizationKey = "gau.quantization";
    /// <summary>The encoder's config.json.</summary>
    public const string ConfigKey = "gau.config";
}
