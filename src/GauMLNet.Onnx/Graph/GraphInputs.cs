namespace GauMLNet.Onnx.Graph;

/// <summary>The graph's inputs and their symbolic axes (<see cref="OnnxNames"/> publishes them).</summary>
internal static class GraphInputs
{
    public const string InputIds = "input_ids";
    public const string TokenTypeIds = "token_type_ids";
    public const string AttentionMask = "attention_mask";
    public const string BatchAxis = "batch";
    public const string SequenceAxis = "sequence";
}
