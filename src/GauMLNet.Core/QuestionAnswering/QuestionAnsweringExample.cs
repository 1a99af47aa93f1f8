namespace GauMLNet.QuestionAnswering;

/// <summary>A gold answer: its text and the character offset where it starts in the context.</summary>
public readonly record struct AnswerSpan(string Text, int Start)
{
    /// <summary>The offset one past its last character.</summary>
    public int End => Start + Text.Length;
}

/// <summary>One question about a context (SQuAD / CMRC 2018 style); test questions have no answers.</summary>
public sealed record QuestionAnsweringExample(string Id, string Context, string Question, IReadOnlyList<AnswerSpan> Answers);
