using GauMLNet.Clue;
using GauMLNet.Entities;
using GauMLNet.Storage;
using GauMLNet.Tests.Support;
using GauMLNet.Text;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Entities;

/// <summary>Character offsets survive tokenization: entities → token targets → entities is the identity.</summary>
public sealed class AlignmentTests(ITestOutputHelper output)
{
    private static CharacterTokenizer Tokenizer(params string[] extra) =>
        new(GauTokenizer.FromVocabText(string.Join("\n", ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "北", "京", "a", "##b", "##c", "b", "1", "##2", "，", .. extra]) + "\n"));

    [Fact]
    public void EveryNonSpaceCharacterIsOneTokenWithItsOffset()
    {
        var tokenizer = Tokenizer();
        // CJK, a Latin word (pieces a ##b ##c), digits, full-width letters (NFKC → a, ##b), a space, punctuation, an unknown character.
        var aligned = tokenizer.Encode("北京abc 12，ＡＢ龘");
        string Token(int i) => tokenizer.Vocabulary.Token(aligned.Ids[i]);
        Assert.Equal(["北", "京", "a", "##b", "##c", "1", "##2", "，", "a", "##b", "[UNK]"], Enumerable.Range(0, aligned.Length).Select(Token));
        Assert.Equal([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11], aligned.CharStarts);
        Assert.Equal(-1, aligned.TokenAt(5)); // the space has no token
        Assert.Equal(5, aligned.TokenAt(6));
    }

    [Fact]
    public void EntitiesStartingOrEndingOnWhitespaceAreAClearError()
    {
        var aligned = Tokenizer().Encode("北京 abc");
        var error = Assert.Throws<InvalidDataException>(() => new BioTags(["loc"]).ToTags(AlignedTextView.Whole(aligned), [new Entity("loc", 1, 2)]));
        Assert.Contains("does not start and end on characters", error.Message);
    }

    [SkippableFact]
    public void GoldSpansToTagsToSpansIsTheIdentityOnTheWholeClueNerTrainFile()
    {
        string shared = TestPaths.RequireShared();
        var rows = ClueNerData.Read(Path.Combine(shared, "data", "cluener", "train.json"), requireLabels: true);
        var vocabulary = GauTokenizer.FromVocabText(TextFiles.ReadAllText(Path.Combine(shared, "vocab", "gau-alpha-char-vocab.txt")));
        var tokenizer = new CharacterTokenizer(vocabulary);
        var types = rows.SelectMany(r => r.Entities).Select(e => e.Type).Distinct().Order().ToArray();
        var tags = new BioTags(types);
        int entities = 0, nestedRows = 0;
        foreach (var row in rows)
        {
            var view = AlignedTextView.Whole(tokenizer.Encode(row.Text));
            // Span targets (GlobalPointer's) keep every entity, nested ones too.
            var spans = row.Entities.Select(e => view.TokenRange(e)).Zip(row.Entities, (r, e) => view.EntityOf(e.Type, r.First, r.Last));
            Assert.Equal(row.Entities.OrderBy(e => e.Start).ThenBy(e => e.End), spans.OrderBy(e => e.Start).ThenBy(e => e.End));
            // BIO tags keep every entity of a row without nesting.
            bool nested = row.Entities.Any(a => row.Entities.Any(b => !ReferenceEquals(a, b) && a.Start <= b.End && b.Start <= a.End));
            var roundTrip = tags.ToEntities(view, tags.ToTags(view, row.Entities));
            if (nested) { nestedRows++; Assert.Subset(row.Entities.ToHashSet(), roundTrip.ToHashSet()); }
            else Assert.Equal(row.Entities.OrderBy(e => e.Start), roundTrip);
            entities += row.Entities.Count;
        }
        output.WriteLine($"{rows.Count} rows, {entities} entities round-trip exactly; {nestedRows} row(s) with a nested entity keep the outer one under BIO and all under spans");
        Assert.Equal(9748, rows.Count);
        Assert.Equal(1, nestedRows);
    }

    [Fact]
    public void LongSentencesSplitIntoWindowsAndMergeBack()
    {
        var tokenizer = Tokenizer();
        string text = string.Concat(Enumerable.Repeat("北京abc，", 40)); // 240 characters
        var aligned = tokenizer.Encode(text);
        var windows = EntityWindows.Split(aligned, maxLength: 34); // 32 tokens per window, overlapping by 8
        Assert.True(windows.Count > 5);
        Assert.Equal(0, windows[0].Offset);
        Assert.Equal(aligned.Length, windows[^1].Offset + windows[^1].Length);
        // Every window "predicts" every entity it fully contains; the merge keeps each once.
        var gold = Enumerable.Range(0, 40).Select(i => new Entity("loc", 6 * i, 6 * i + 1)).ToList();
        var merged = EntityWindows.Merge(windows, windows.Select(w => gold.Where(w.Contains).ToList()).ToList());
        Assert.Equal(gold, merged);
    }
}
