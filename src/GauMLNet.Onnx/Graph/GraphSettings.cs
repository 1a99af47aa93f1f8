namespace GauMLNet.Onnx.Graph;

/// <summary>What the graph writer needs of the export options (<see cref="OnnxExportOptions"/> documents each).</summary>
internal sealed record GraphSettings(bool UseOnnxRuntimeOperators, bool Int8, bool PerChannelScales, bool FusedAttention, bool SeparateProjections, float MaskFill);
