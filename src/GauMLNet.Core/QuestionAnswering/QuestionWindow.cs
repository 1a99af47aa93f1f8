using GauMLNet.Text;

namespace GauMLNet.QuestionAnswering;

/// <summary>
/// One model input for a question about a context: [CLS] question [SEP] context tokens [SEP], the context part one
/// window of the whole context's tokens (segment 0 for the question, 1 for the context).
/// </summary>
/// <param name="Example">the index of the question it belongs to</param>
/// <param name="Input">the encoded input</param>
/// <param name="Context">the whole context, tokenized with character offsets</param>
/// <param name="ContextStart">the window's first context token (an index into <paramref name="Context"/>)</param>
/// <param name="ContextCount">how many context tokens the window holds</param>
/// <param name="ContextPosition">where the first context token sits in <paramref name="Input"/></param>
/// <param name="Answer">the gold answer's first and last token positions in <paramref name="Input"/>, when the window holds it whole</param>
public sealed record QuestionWindow(int Example, EncodedText Input, AlignedText Context, int ContextStart, int ContextCount, int ContextPosition,
    (int Start, int End)? Answer)
{
    /// <summary>The question has an answer and this window holds no token of it (not even part).</summary>
    public bool HoldsNoneOfAnswer { get; init; }

    /// <summary>The character range [Start, End) of the context that input positions first..last (context tokens) cover.</summary>
    public (int Start, int End) Characters(int first, int last)
    {
        if (first < ContextPosition || last < first || last >= ContextPosition + ContextCount)
            throw new ArgumentOutOfRangeException(nameof(first), $"positions {first}..{last} are not context tokens of this window ({ContextPosition}..{ContextPosition + ContextCount - 1}).");
        int a = ContextStart + first - ContextPosition, b = ContextStart + last - ContextPosition;
        return (Context.CharStarts[a], Context.CharStarts[b] + Context.CharLengths[b]);
    }
}
