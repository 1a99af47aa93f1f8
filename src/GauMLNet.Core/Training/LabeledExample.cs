using GauMLNet.Text;

namespace GauMLNet.Training;

/// <summary>
/// A tokenized row and its target: a class index (classification), a value (regression), or per-token targets
/// (token classification, with <see cref="Tokens"/>).
/// </summary>
public sealed record LabeledExample(EncodedText Text, float Label, TokenTargets? Tokens = null);

/// <summary>
/// Token-classification targets of one encoded window, positions counted after [CLS]: a BIO tag per token, and the
/// entities as (first token, last token, type) for span heads.
/// </summary>
public sealed record TokenTargets(int[] Tags, (int First, int Last, int Type)[] Spans);
