using GauMLNet.Clue;
using GauMLNet.QuestionAnswering;
using GauMLNet.Tests.Support;
using GauMLNet.Text;

namespace GauMLNet.Tests.QuestionAnswering;

/// <summary>Question + context windows: layout, stride, answer targets only where whole, and offsets that survive tokenization.</summary>
public sealed class QuestionWindowsTests
{
    private const string Vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n长\n江\n大\n桥\n南\n京\n在\n哪\n？\n。\n年\na\n##b\n1\n##2\n";

    private static readonly CharacterTokenizer Tokenizer = new(GauTokenizer.FromVocabText(Vocab));

    private static QuestionAnsweringExample Example(string context, string answer, string question = "在哪？") =>
        new("q", context, question, [new AnswerSpan(answer, context.IndexOf(answer, StringComparison.Ordinal))]);

    [Fact]
    public void WindowsPairTheQuestionWithStridedContextAndTargetOnlyWholeAnswers()
    {
        // 30 context characters, inputs of 14 tokens: question 3 + specials 3 leave 8 context tokens; stride 4.
        string context = string.Concat(Enumerable.Repeat("长江大桥南京", 5));
        var example = new QuestionAnsweringExample("q", context, "在哪？", [new AnswerSpan(context.Substring(6, 3), 6)]); // characters 6..8
        var windows = QuestionWindows.Create(Tokenizer, [example], new QuestionWindowOptions(MaxLength: 14, DocumentStride: 4, MaxQuestionTokens: 8));
        var contextIds = Tokenizer.Encode(context).Ids;
        var questionIds = Tokenizer.Encode("在哪？").Ids;
        Assert.Equal([0, 4, 8, 12, 16, 20, 24], windows.Select(w => w.ContextStart));
        foreach (var w in windows)
        {
            Assert.Equal(Math.Min(8, 30 - w.ContextStart), w.ContextCount);
            Assert.Equal([2, .. questionIds, 3, .. contextIds[w.ContextStart..(w.ContextStart + w.ContextCount)], 3], w.Input.Ids);
            Assert.Equal([.. Enumerable.Repeat(0, 5), .. Enumerable.Repeat(1, w.ContextCount + 1)], w.Input.TypeIds);
            Assert.Equal(5, w.ContextPosition);
        }
        Assert.Equal(30, windows[^1].ContextStart + windows[^1].ContextCount); // the last window reaches the end
        // Tokens 6..8 are whole in the window starting at 4 (4..11) only; those at 0 (0..7) and 8 (8..15) hold a part.
        Assert.Equal([4], windows.Where(w => w.Answer is not null).Select(w => w.ContextStart));
        Assert.Equal([12, 16, 20, 24], windows.Where(w => w.HoldsNoneOfAnswer).Select(w => w.ContextStart)); // no token of 6..8
        Assert.DoesNotContain(QuestionWindows.Create(Tokenizer, [example with { Answers = [] }], new QuestionWindowOptions(MaxLength: 14, DocumentStride: 4)),
            w => w.HoldsNoneOfAnswer); // no answer: nothing to hold
        var held = windows.Single(w => w.Answer is not null);
        Assert.Equal((5 + 2, 5 + 4), held.Answer);
        Assert.Equal((6, 9), held.Characters(held.Answer!.Value.Start, held.Answer.Value.End));
    }

    [Fact]
    public void QuestionOverlapMarksContextTokensInACharacterPairTheQuestionHolds()
    {
        // The question holds the pairs 南京, 京在, 在哪 and 哪？; 长江 is not one of them, and an unknown token matches nothing.
        string context = "长江大桥南京在南江京在哪X哪";
        var example = new QuestionAnsweringExample("q", context, "南京在哪？", [new AnswerSpan("南京", 4)]);
        var marked = new QuestionWindowOptions(MaxLength: 64, MarkQuestionOverlap: true);
        Assert.Equal(3, marked.Segments);
        var window = QuestionWindows.Create(Tokenizer, [example], marked).Single();
        int at = window.ContextPosition;
        //            长 江 大 桥 南 京 在 南 江 京 在 哪 X 哪   [SEP]
        int[] types = [1, 1, 1, 1, 2, 2, 2, 1, 1, 2, 2, 2, 1, 1, 1];
        Assert.Equal(types, window.Input.TypeIds[at..]);
        Assert.All(window.Input.TypeIds[..at], t => Assert.Equal(0, t));

        var plain = QuestionWindows.Create(Tokenizer, [example], new QuestionWindowOptions(MaxLength: 64)).Single();
        Assert.Equal(2, new QuestionWindowOptions().Segments);
        Assert.Equal(window.Input.Ids, plain.Input.Ids);
        Assert.All(plain.Input.TypeIds[at..], t => Assert.Equal(1, t));

        // Marks come from the whole context, so a pair cut by a window's edge still marks the token inside it.
        var windows = QuestionWindows.Create(Tokenizer, [example], new QuestionWindowOptions(MaxLength: 15, DocumentStride: 3, MarkQuestionOverlap: true));
        var third = windows.Single(w => w.ContextStart == 6); // starts at 在, marked by the pair 京在 that the window's edge cuts
        Assert.Equal(QuestionWindows.OverlapSegment, third.Input.TypeIds[third.ContextPosition]);
        Assert.Equal(1, third.Input.TypeIds[third.ContextPosition + 1]);
    }

    [Fact]
    public void ALongQuestionKeepsAtMostHalfAnInput()
    {
        var example = new QuestionAnsweringExample("q", "长江大桥南京长江大桥南京", string.Concat(Enumerable.Repeat("在哪", 20)), [new AnswerSpan("南京", 4)]);
        var windows = QuestionWindows.Create(Tokenizer, [example], new QuestionWindowOptions(MaxLength: 16, MaxQuestionTokens: 64));
        Assert.All(windows, w => Assert.Equal(6 + 2, w.ContextPosition)); // (16 − 3) / 2 = 6 question tokens
        Assert.Equal(16, windows[0].Input.Length);
        Assert.All(windows, w => Assert.True(w.Input.Length <= 16));
    }

    [Fact]
    public void AStrideLongerThanHalfAWindowIsCutToHalf()
    {
        string context = string.Concat(Enumerable.Repeat("长江大桥南京", 5));
        var windows = QuestionWindows.Create(Tokenizer, [Example(context, "桥南京")], new QuestionWindowOptions(MaxLength: 12, DocumentStride: 100, MaxQuestionTokens: 8));
        Assert.Equal([0, 3, 6, 9, 12, 15, 18, 21, 24], windows.Select(w => w.ContextStart)); // windows of 6 context tokens, each 3 after the last
        Assert.Contains(windows, w => w.Answer is not null);
    }

    [Theory]
    [InlineData("ＡＢ１２ 在 长江大桥。", "ＡＢ１２")]          // full-width letters and digits (looked up through NFKC)
    [InlineData("He said ab 12 ok", "ab 12")]            // English words, digits and the space between them
    [InlineData("南京  长江\u3000大桥", "长江\u3000大桥")]   // ideographic space inside the answer
    [InlineData("1998年南京", "1998年")]
    [InlineData("南京😀长江", "😀长")]                      // a character outside the BMP is one token of two UTF-16 units
    public void TheSpanOfAnAnswersOwnTokensGivesBackItsText(string context, string answer)
    {
        var windows = QuestionWindows.Create(Tokenizer, [Example(context, answer)], new QuestionWindowOptions(MaxLength: 64, MaxQuestionTokens: 8));
        var held = Assert.Single(windows, w => w.Answer is not null);
        var (start, end) = held.Characters(held.Answer!.Value.Start, held.Answer.Value.End);
        Assert.Equal(answer, context[start..end]);
    }

    [Fact]
    public void AnAnswerOfOnlyWhitespaceAndAContextWithoutTokensAreErrorsNamingTheQuestion()
    {
        var blank = new QuestionAnsweringExample("Q9", "南京 长江", "在哪？", [new AnswerSpan(" ", 2)]);
        Assert.Contains("question 'Q9'", Assert.Throws<InvalidDataException>(() => QuestionWindows.Create(Tokenizer, [blank], new QuestionWindowOptions(64, 16, 8))).Message);
        var empty = new QuestionAnsweringExample("Q8", "   ", "在哪？", []);
        Assert.Contains("question 'Q8': the context has no tokens", Assert.Throws<InvalidDataException>(() => QuestionWindows.Create(Tokenizer, [empty], new QuestionWindowOptions(64, 16, 8))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuestionWindowOptions(MaxLength: 4).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuestionWindowOptions(MaxQuestionTokens: 0).Validate());
    }

    [SkippableTheory]
    [InlineData("train.json")]
    [InlineData("dev.json")]
    public void EveryCmrc2018AnswerIsHeldWholeByAWindowAndDecodesToItsText(string file)
    {
        string shared = TestPaths.RequireShared();
        var tokenizer = new CharacterTokenizer(GauTokenizer.FromVocabFile(Path.Combine(shared, "vocab", "gau-alpha-char-vocab.txt")));
        var examples = SquadJson.Read(Path.Combine(shared, "data", "cmrc2018", file), requireAnswers: true);
        // Every answer, not only the first: one question at a time with that answer as its target.
        var singles = examples.SelectMany(e => e.Answers.Select(a => e with { Answers = [a] })).ToList();
        var options = new QuestionWindowOptions();
        var windows = QuestionWindows.Create(tokenizer, singles, options);
        var held = windows.Where(w => w.Answer is not null).GroupBy(w => w.Example).ToDictionary(g => g.Key, g => g.First());
        // An answer of L tokens is whole in some window whenever L ≤ (context tokens per window) − stride + 1; only a longer
        // one may be held by none (dev.json has one of 435 characters).
        for (int i = 0; i < singles.Count; i++)
        {
            if (held.ContainsKey(i)) continue;
            var (first, last) = QuestionWindows.AnswerTokens(tokenizer.Encode(singles[i].Context), singles[i].Answers[0], singles[i].Id);
            int perWindow = options.MaxLength - Math.Min(tokenizer.Encode(singles[i].Question).Length, options.MaxQuestionTokens) - 3;
            Assert.True(last - first + 1 > perWindow - options.DocumentStride + 1, $"question '{singles[i].Id}': its answer of {last - first + 1} tokens is in no window whole");
        }
        Assert.True(held.Count >= singles.Count - 1, $"{singles.Count - held.Count} of {singles.Count} answers are in no window whole");
        foreach (var (index, window) in held)
        {
            var (start, end) = window.Characters(window.Answer!.Value.Start, window.Answer.Value.End);
            // Whitespace has no token, so an answer's own leading or trailing spaces (4 of 4,988 here) cannot come back.
            Assert.True(singles[index].Answers[0].Text.Trim() == singles[index].Context[start..end], $"question '{singles[index].Id}': '{singles[index].Context[start..end]}' for '{singles[index].Answers[0].Text}'");
        }
    }
}
