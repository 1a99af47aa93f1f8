using GauMLNet.Text;

namespace GauMLNet.Training;

/// <summary>A tokenized row and its target: a class index (classification) or a value (regression).</summary>
public sealed record LabeledExample(EncodedText Text, float Label);
