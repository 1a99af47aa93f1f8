using GauMLNet.Tests.Support;
using GauMLNet.Text;

namespace GauMLNet.Tests.Text;

public class GauTokenizerTests
{
    private static GauTokenizer Small()
    {
        var vocab = VocabularyBuilder.Build(["今天天气很好", "明天会下雨吗", "hello world"]);
        return GauTokenizer.FromVocabText(string.Join("\n", vocab));
    }

    [Fact]
    public void SingleTextIsClsTextSep()
    {
        var t = Small();
        var e = t.Encode("今天", null, 16);
        Assert.Equal(t.ClsId, e.Ids[0]);
        Assert.Equal(t.SepId, e.Ids[^1]);
        Assert.Equal(4, e.Length);
        Assert.All(e.TypeIds, id => Assert.Equal(0, id));
        Assert.False(e.Truncated);
    }

    [Fact]
    public void PairsGetSegmentIdsAndLongestFirstTruncation()
    {
        var t = Small();
        var e = t.Encode("今天天气很好今天天气很好", "明天", 10);
        Assert.True(e.Truncated);
        Assert.Equal(10, e.Length);
        // [CLS] a×5 [SEP] b×2 [SEP]: the longer side lost its tail, the short side kept everything
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 1, 1, 1], e.TypeIds);
        Assert.Equal(t.SepId, e.Ids[6]);
    }

    [Fact]
    public void NullAndEmptyTextsAreEmptySentences()
    {
        var t = Small();
        Assert.Equal([t.ClsId, t.SepId], t.Encode(null, null, 8).Ids);
        Assert.Equal([t.ClsId, t.SepId, t.SepId], t.Encode("", null ?? "", 8).Ids);
    }

    [Fact]
    public void VocabularyBuilderKeepsCharactersAndPiecesAndRespectsTheCap()
    {
        var vocab = VocabularyBuilder.Build(["hello hello world 你好", "hello 世界"], maxSize: 100);
        Assert.Equal(VocabularyBuilder.SpecialTokens, vocab.Take(5));
        Assert.Contains("你", vocab);
        Assert.Contains("##e", vocab);
        Assert.Contains("hello", vocab);
        Assert.DoesNotContain("world", vocab); // seen once: spelled from pieces instead
        Assert.Equal(8, VocabularyBuilder.Build(["abcdefghijklmnop"], maxSize: 8).Count);
        var t = GauTokenizer.FromVocabText(string.Join("\n", vocab));
        Assert.DoesNotContain(t.UnknownId, t.Encode("world", null, 16).Ids);
    }

    [SkippableFact]
    public void TheReleasedGauAlphaVocabularyWorks()
    {
        string shared = TestPaths.RequireShared();
        var t = GauTokenizer.FromVocabFile(Path.Combine(shared, "vocab", "gau-alpha-char-vocab.txt"));
        Assert.Equal(12000, t.VocabSize);
        Assert.Equal((0, 100, 101, 102, 103), (t.PadId, t.UnknownId, t.ClsId, t.SepId, t.MaskId));
        var e = t.Encode("今天天气很好", "是的", 64);
        Assert.Equal(6 + 2 + 3, e.Length); // one id per Chinese character
        Assert.DoesNotContain(t.UnknownId, e.Ids);
        Assert.Equal(3, e.TypeIds.Count(x => x == 1));
    }
}
