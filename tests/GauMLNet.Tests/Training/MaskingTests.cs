using GauMLNet.Tests.Support;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Training.Pretraining;

namespace GauMLNet.Tests.Training;

public class MaskingTests
{
    private static GauTokenizer Tokenizer() =>
        GauTokenizer.FromVocabText(string.Join("\n", VocabularyBuilder.Build(SyntheticText.Sentences(400, 1).Select(r => r.Sentence).Append("running jumping walking talking"))));

    [Fact]
    public void RatesMatchBertsRecipeAndSpecialTokensAreNeverMasked()
    {
        var tokenizer = Tokenizer();
        var masker = new MaskedLanguageModelMasker(tokenizer);
        var sequences = PretrainingCorpus.Pack(SyntheticText.Sentences(3000, 2).Select(r => r.Sentence!), tokenizer, 64);
        var random = new Random(5);
        long words = 0, selectedPositions = 0, masked = 0, kept = 0, randomised = 0;
        var segmenter = new WordPieceSegmenter();
        foreach (var ids in sequences)
        {
            var result = masker.Mask(ids, random);
            words += segmenter.Words(ids, tokenizer).Count;
            for (int i = 0; i < ids.Length; i++)
            {
                bool special = ids[i] == tokenizer.ClsId || ids[i] == tokenizer.SepId;
                if (result.Labels[i] == MaskedLanguageModelMasker.IgnoreIndex) { Assert.Equal(ids[i], result.InputIds[i]); continue; }
                Assert.False(special, "a special token was selected");
                Assert.Equal(ids[i], result.Labels[i]);
                selectedPositions++;
                if (result.InputIds[i] == tokenizer.MaskId) masked++;
                else if (result.InputIds[i] == ids[i]) kept++;
                else randomised++;
            }
        }
        double rate = (double)selectedPositions / words; // CJK characters: one position per word
        Assert.InRange(rate, 0.14, 0.16);
        Assert.InRange((double)masked / selectedPositions, 0.78, 0.82);
        Assert.InRange((double)randomised / selectedPositions, 0.085, 0.115); // a random id can equal the original: counted as kept
        Assert.InRange((double)kept / selectedPositions, 0.085, 0.115);
    }

    [Fact]
    public void WholeWordMaskingSelectsEveryPieceOfAWordTogether()
    {
        var tokenizer = Tokenizer();
        var ids = tokenizer.Encode("running jumping walking talking 好", null, 64).Ids;
        var words = new WordPieceSegmenter().Words(ids, tokenizer);
        Assert.Contains(words, w => w.Length > 1); // words spelled from several pieces
        var masker = new MaskedLanguageModelMasker(tokenizer, maskRate: 0.5);
        for (int seed = 0; seed < 50; seed++)
        {
            var result = masker.Mask(ids, new Random(seed));
            foreach (var word in words)
            {
                var chosen = word.Select(p => result.Labels[p] != MaskedLanguageModelMasker.IgnoreIndex).Distinct().ToList();
                Assert.Single(chosen); // all pieces selected, or none
            }
        }
    }

    [Fact]
    public void PackingFillsSequencesAndFramesThemWithClsAndSep()
    {
        var tokenizer = Tokenizer();
        var sequences = PretrainingCorpus.Pack(SyntheticText.Sentences(500, 3).Select(r => r.Sentence!), tokenizer, 48);
        Assert.All(sequences, s =>
        {
            Assert.True(s.Length <= 48);
            Assert.Equal(tokenizer.ClsId, s[0]);
            Assert.Equal(tokenizer.SepId, s[^1]);
        });
        Assert.True(sequences.Take(sequences.Count - 1).Average(s => s.Length) > 40, "sequences are not packed");
    }

    [Fact]
    public void JsonLinesCorpusReadsTheChosenFieldAndNamesBadLines()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "corpus.json");
        File.WriteAllLines(path, ["{\"id\": 1, \"sentence\": \"第一句\"}", "纯文本一行", "{\"id\": 3}"]);
        var ex = Assert.Throws<FormatException>(() => PretrainingCorpus.ReadTexts([path]).ToList());
        Assert.StartsWith($"{path}:3:", ex.Message);
        Assert.Equal(["第一句", "纯文本一行"], PretrainingCorpus.ReadTexts([path]).Take(2));
    }
}
