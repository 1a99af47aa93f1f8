using GauMLNet.Text;

namespace GauMLNet.Training;

/// <summary>
/// A tokenized row and its target: a class index (classification), a value (regression), per-token targets
/// (token classification, with <see cref="Tokens"/>), or an answer span (question answering, with <see cref="Answer"/>).
/// </summary>
public sealed record LabeledExample(EncodedText Text, float Label, TokenTargets? Tokens = null, AnswerTarget? Answer = null);

/// <summary>
/// A question-answering window's target: the gold answer's first and last positions in the input (none when the window
/// does not hold it whole), and the positions of its context tokens, the only places an answer can be.
/// </summary>
public sealed record AnswerTarget((int Start, int End)? Span, int ContextPosition, int ContextCount)
{
    /// <summary>
    /// Position 0 ([CLS]) is a target too: the place a window without the answer points both ends at (Span (0, 0)),
    /// so the loss's softmax runs over [CLS] and the context.
    /// </summary>
    public bool ClsMeansNoAnswer { get; init; }
}

/// <summary>
/// Token-classification targets of one encoded window, positions counted after [CLS]: a BIO tag per token, and the
/// entities as (first token, last token, type) for span heads.
/// </summary>
public sealed record TokenTargets(int[] Tags, (int First, int Last, int Type)[] Spans);
