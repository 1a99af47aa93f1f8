using GauMLNet.QuestionAnswering;
using GauMLNet.Text;

namespace GauMLNet.Tests.QuestionAnswering;

/// <summary>Span decoding: end ≥ start, the answer-length cap, context tokens only, the best over overlapping windows.</summary>
public sealed class SpanDecoderTests
{
    private static readonly CharacterTokenizer Tokenizer = new(GauTokenizer.FromVocabText("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"));

    // Logits [length, 2] with the given (position, start, end) values and -10 elsewhere.
    private static float[] Logits(QuestionWindow w, params (int Position, float Start, float End)[] values)
    {
        var logits = Enumerable.Repeat(-10f, 2 * w.Input.Length).ToArray();
        foreach (var (p, s, e) in values)
        {
            logits[2 * p] = s;
            logits[2 * p + 1] = e;
        }
        return logits;
    }

    [Fact]
    public void PicksTheBestValidSpanOfContextTokens()
    {
        string context = "ABCDEFGHIJ"; // 10 tokens ([UNK] each), question 1 token: context positions 3..12
        var example = new QuestionAnsweringExample("q", context, "?", []);
        var window = Assert.Single(QuestionWindows.Create(Tokenizer, [example], new QuestionWindowOptions(MaxLength: 32, MaxQuestionTokens: 4)));
        Assert.Equal(3, window.ContextPosition);

        // [CLS] and question positions score highest but are never answers; an end before its start is never chosen.
        var logits = Logits(window, (0, 50, 50), (1, 40, 40), (9, 1, 9), (5, 9, 1), (4, 2, 2));
        var best = SpanDecoder.Best([(window, logits)], maxAnswerTokens: 10, topK: 3);
        Assert.Equal(["CDEFG", "BCDEFG", "C"], best.Select(c => c.Text)); // 9+9, 2+9, then 9+1 (C) ties 1+9 (G): the earlier first
        Assert.Equal(2, best[0].Start);
        Assert.Equal(18f, best[0].Score);

        // The cap: at most 3 tokens, so C..G (5 tokens) and B..G are out.
        var capped = SpanDecoder.Best([(window, logits)], maxAnswerTokens: 3, topK: 1);
        Assert.Equal("C", Assert.Single(capped).Text);
    }

    [Fact]
    public void ASpanInTwoWindowsCountsOnceWithItsBetterScore()
    {
        string context = "ABCDEFGHIJKL";
        var example = new QuestionAnsweringExample("q", context, "?", []);
        var windows = QuestionWindows.Create(Tokenizer, [example], new QuestionWindowOptions(MaxLength: 10, DocumentStride: 3, MaxQuestionTokens: 1));
        Assert.True(windows.Count >= 3);
        // Characters E..F (tokens 4..5) lie in the windows starting at 0 (0..5) and 3 (3..8).
        var first = windows[0];
        var second = windows[1];
        int In(QuestionWindow w, int token) => w.ContextPosition + token - w.ContextStart;
        var candidates = SpanDecoder.Best(
        [
            (first, Logits(first, (In(first, 4), 3, -10), (In(first, 5), -10, 3))),
            (second, Logits(second, (In(second, 4), 5, -10), (In(second, 5), -10, 5), (In(second, 8), 1, 1))),
        ], maxAnswerTokens: 5, topK: 2);
        Assert.Equal("EF", candidates[0].Text);
        Assert.Equal(10f, candidates[0].Score);
        Assert.NotEqual("EF", candidates[1].Text);
    }
}
