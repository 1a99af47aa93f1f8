using GauMLNet.Text;

namespace GauMLNet.QuestionAnswering;

/// <summary>How questions and contexts become model inputs.</summary>
/// <param name="MaxLength">tokens per input, [CLS] and both [SEP] included</param>
/// <param name="DocumentStride">how many context tokens each window starts after the one before (the windows overlap by the rest;
/// at most half a window's context, so consecutive windows always overlap by half)</param>
/// <param name="MaxQuestionTokens">a longer question keeps its first tokens (and never more than half an input's room, so the
/// context keeps at least the other half)</param>
/// <param name="MarkQuestionOverlap">context tokens that are part of a pair of adjacent tokens the question also holds get
/// segment <see cref="QuestionWindows.OverlapSegment"/> instead of 1: where the question's words recur in the context, the
/// lexical-match cue of extractive readers, which a model trained from scratch on few questions does not learn quickly</param>
public sealed record QuestionWindowOptions(int MaxLength = 512, int DocumentStride = 128, int MaxQuestionTokens = 64, bool MarkQuestionOverlap = false)
{
    /// <summary>How many segments (token types) the model needs for these windows.</summary>
    public int Segments => MarkQuestionOverlap ? 3 : 2;

    public QuestionWindowOptions Validate()
    {
        if (MaxQuestionTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxQuestionTokens), MaxQuestionTokens, "A question keeps at least one token.");
        if (MaxLength < 5) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength must leave room for three special tokens, a question token and a context token.");
        if (DocumentStride < 1) throw new ArgumentOutOfRangeException(nameof(DocumentStride), DocumentStride, "DocumentStride is at least one token.");
        return this;
    }
}

/// <summary>
/// Question + context windows, the standard recipe for contexts longer than one input: the context is tokenized one
/// token per character (<see cref="CharacterTokenizer"/>, so character offsets survive every normalisation), cut into
/// windows that each start <see cref="QuestionWindowOptions.DocumentStride"/> tokens after the one before, and each
/// window is paired with the question. A gold answer is mapped to its first and last token; a window that holds it
/// whole gets it as its target, one that holds part of it or none gets none; one that holds none of it says so
/// (<see cref="QuestionWindow.HoldsNoneOfAnswer"/>), for training that teaches windows without the answer to say so.
/// </summary>
public static class QuestionWindows
{
    /// <summary>The segment of a context token in a pair of adjacent tokens the question also holds (when marked).</summary>
    public const int OverlapSegment = 2;

    public static List<QuestionWindow> Create(CharacterTokenizer tokenizer, IReadOnlyList<QuestionAnsweringExample> examples, QuestionWindowOptions options)
    {
        options.Validate();
        var vocabulary = tokenizer.Vocabulary;
        var windows = new List<QuestionWindow>();
        for (int e = 0; e < examples.Count; e++)
        {
            var example = examples[e];
            var question = tokenizer.Encode(example.Question).Ids.Take(Math.Min(options.MaxQuestionTokens, (options.MaxLength - 3) / 2)).ToArray();
            var context = tokenizer.Encode(example.Context);
            if (context.Length == 0) throw new InvalidDataException($"question '{example.Id}': the context has no tokens (it is empty or all whitespace).");
            (int First, int Last)? gold = example.Answers.Count > 0 ? AnswerTokens(context, example.Answers[0], example.Id) : null;
            int budget = options.MaxLength - question.Length - 3;
            int position = question.Length + 2;
            var overlap = options.MarkQuestionOverlap ? Overlap(question, context.Ids, vocabulary.UnknownId) : null;
            int stride = Math.Max(1, Math.Min(options.DocumentStride, budget / 2)); // windows overlap by at least half: an answer of up to half a window is whole in one
            for (int start = 0; ; start += stride)
            {
                int count = Math.Min(budget, context.Length - start);
                var ids = new int[question.Length + count + 3];
                var types = new int[ids.Length];
                ids[0] = vocabulary.ClsId;
                question.CopyTo(ids, 1);
                ids[question.Length + 1] = vocabulary.SepId;
                Array.Copy(context.Ids, start, ids, position, count);
                ids[^1] = vocabulary.SepId;
                types.AsSpan(position).Fill(1);
                if (overlap is not null)
                    for (int t = 0; t < count; t++)
                        if (overlap[start + t]) types[position + t] = OverlapSegment;
                (int, int)? answer = gold is { } g && g.First >= start && g.Last < start + count ? (g.First - start + position, g.Last - start + position) : null;
                bool none = gold is { } h && (h.Last < start || h.First >= start + count);
                windows.Add(new QuestionWindow(e, new EncodedText(ids, types, Truncated: false), context, start, count, position, answer) { HoldsNoneOfAnswer = none });
                if (start + count >= context.Length) break;
            }
        }
        return windows;
    }

    /// <summary>Which context tokens belong to a pair of adjacent tokens that the question also holds (unknown tokens match nothing).</summary>
    public static bool[] Overlap(IReadOnlyList<int> question, IReadOnlyList<int> context, int unknownId)
    {
        var pairs = new HashSet<(int, int)>();
        for (int i = 1; i < question.Count; i++)
            if (question[i - 1] != unknownId && question[i] != unknownId) pairs.Add((question[i - 1], question[i]));
        var marked = new bool[context.Count];
        for (int i = 1; i < context.Count; i++)
            if (pairs.Contains((context[i - 1], context[i]))) marked[i - 1] = marked[i] = true;
        return marked;
    }

    /// <summary>The first and last context token of an answer (whitespace at its edges has no token).</summary>
    public static (int First, int Last) AnswerTokens(AlignedText context, AnswerSpan answer, string questionId)
    {
        int first = -1, last = -1;
        for (int c = answer.Start; c < answer.End && first < 0; c++) first = context.TokenAt(c);
        for (int c = answer.End - 1; c >= answer.Start && last < 0; c--) last = context.TokenAt(c);
        if (first < 0 || last < first)
            throw new InvalidDataException($"question '{questionId}': the answer '{answer.Text}' at {answer.Start} covers no token of the context (only whitespace).");
        return (first, last);
    }
}
