using GauMLNet.Text;

namespace GauMLNet.Tests.Text;

/// <summary>A vocabulary built from text holds every form the tokenizers look up on that text: no [UNK] for a seen character.</summary>
public sealed class VocabularyCoverageTests
{
    // Han (BMP and an astral ideograph right after a Latin letter), kana and Hangul inside words, full-width letters and
    // digits, Latin words with digits, punctuation of both widths, symbols and an emoji between words.
    private const string Mixed = "GAU-α模型於2024年發布，xy𠀀字 カタカナ語 한국어 ＡＢＣ１２ e-mail: x@y.com ©2024 価格5€ 好🙂看";

    private static GauTokenizer BuiltFrom(string text) =>
        GauTokenizer.FromVocabText(string.Join("\n", VocabularyBuilder.Build([text])) + "\n");

    [Fact]
    public void CharacterTokenizerFindsEverySeenCharacter()
    {
        var vocabulary = BuiltFrom(Mixed);
        var aligned = new CharacterTokenizer(vocabulary).Encode(Mixed);
        var unknown = Enumerable.Range(0, aligned.Length).Where(i => aligned.Ids[i] == vocabulary.UnknownId)
            .Select(i => Mixed.Substring(aligned.CharStarts[i], aligned.CharLengths[i])).ToList();
        Assert.Empty(unknown);
        Assert.Equal(Mixed.Count(c => !char.IsWhiteSpace(c) && !char.IsLowSurrogate(c)), aligned.Length);
    }

    [Fact]
    public void KanaAndAstralIdeographsAreSpelledAsBothTokenizersSplitThem()
    {
        var vocabulary = BuiltFrom(Mixed);
        // Kana run together into a word, so its inner characters are continuations; the astral ideograph stands alone.
        Assert.NotNull(vocabulary.Id("カ"));
        Assert.NotNull(vocabulary.Id("##タ"));
        Assert.NotNull(vocabulary.Id("𠀀"));
        Assert.Null(vocabulary.Id("##𠀀"));
        var ids = new CharacterTokenizer(vocabulary).Encode("カタ").Ids;
        Assert.Equal(["カ", "##タ"], ids.Select(vocabulary.Token));
    }

    [Fact]
    public void WordPieceFindsEverySeenCjkKanaAndLatinWord()
    {
        const string text = "模型於2024年發布 カタカナ語 gau alpha 𠀀字 ＡＢＣ";
        var vocabulary = BuiltFrom(text);
        var encoded = vocabulary.Encode(text, null, 64);
        Assert.DoesNotContain(vocabulary.UnknownId, encoded.Ids);
    }

    [Fact]
    public void ALoneSurrogateIsOneUnknownTokenAndDoesNotBreakTheBuilder()
    {
        string text = "北\uD800京";
        var vocabulary = BuiltFrom(text);
        var aligned = new CharacterTokenizer(vocabulary).Encode(text);
        Assert.Equal(["北", "[UNK]", "京"], aligned.Ids.Select(vocabulary.Token));
        Assert.Equal([0, 1, 2], aligned.CharStarts);
    }
}
