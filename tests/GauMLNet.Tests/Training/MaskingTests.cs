using GauMLNet.Tests.Support;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Training.Pretraining;

namespace GauMLNet.Tests.Training;

public class MaskingTests
{
    private static GauTokenizer Tokenizer() =>
        GauTokenizer.FromVocabText(string.Join("\n", VocabularyBuilder.Build(SyntheticText.Sentences(400, 1).Select(r => r.Sentence).Append("running jumping walking talking"))));

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    public void RatesMatchBertsRecipeAndSpecialTokensAreNeverMasked(int maxSpanLength)
    {
        var tokenizer = Tokenizer();
        var masker = new MaskedLanguageModelMasker(tokenizer, maxSpanLength: maxSpanLength);
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
    public void SpanMaskingSelectsRunsOfAdjacentCharactersWhereWordMaskingSelectsThemOneByOne()
    {
        var tokenizer = Tokenizer();
        var sequences = PretrainingCorpus.Pack(SyntheticText.Sentences(3000, 4).Select(r => r.Sentence!), tokenizer, 128);
        double MeanRun(int maxSpanLength)
        {
            var masker = new MaskedLanguageModelMasker(tokenizer, maxSpanLength: maxSpanLength);
            var random = new Random(7);
            long runs = 0, selected = 0, longest = 0;
            foreach (var ids in sequences)
            {
                var labels = masker.Mask(ids, random).Labels;
                int run = 0;
                for (int i = 0; i <= labels.Length; i++)
                {
                    if (i < labels.Length && labels[i] != MaskedLanguageModelMasker.IgnoreIndex) { run++; continue; }
                    if (run > 0) { runs++; selected += run; longest = Math.Max(longest, run); }
                    run = 0;
                }
            }
            return (double)selected / runs;
        }
        // One by one, neighbours are selected together only by chance (about 15 %); SpanBERT's lengths average 3.8 before the budget cuts them.
        Assert.InRange(MeanRun(1), 1.0, 1.3);
        Assert.InRange(MeanRun(10), 2.5, 4.2);
        Assert.InRange(MeanRun(3), 1.5, MeanRun(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaskedLanguageModelMasker(tokenizer, maxSpanLength: 0));
    }

    [Fact]
    public void SpansStopAtTheSepBetweenTextsSoNeighboursAcrossItAreReplacedIndependently()
    {
        // A run is replaced as one ([MASK], random or kept together), so selected neighbours inside a run always share
        // an outcome; neighbours in separate runs differ in 2 × 0.8 × 0.2 = 32 % of pairs (mask against not).
        var tokenizer = Tokenizer();
        var characters = tokenizer.Encode("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府", null, 80).Ids.Skip(1).SkipLast(1).Take(60).ToArray();
        Assert.Equal(60, characters.Length);
        double DifferingNeighbours(bool sepBetweenCharacters)
        {
            var ids = new List<int> { tokenizer.ClsId };
            foreach (int c in characters)
            {
                ids.Add(c);
                if (sepBetweenCharacters) ids.Add(tokenizer.SepId);
            }
            if (!sepBetweenCharacters) ids.Add(tokenizer.SepId);
            var masker = new MaskedLanguageModelMasker(tokenizer, maskRate: 0.5, maxSpanLength: 10);
            int step = sepBetweenCharacters ? 2 : 1;
            long pairs = 0, differing = 0;
            for (int seed = 0; seed < 400; seed++)
            {
                var result = masker.Mask([.. ids], new Random(seed));
                for (int i = 1; i + step < ids.Count; i += step)
                {
                    bool Selected(int p) => result.Labels[p] != MaskedLanguageModelMasker.IgnoreIndex;
                    if (!Selected(i) || !Selected(i + step)) continue;
                    pairs++;
                    if ((result.InputIds[i] == tokenizer.MaskId) != (result.InputIds[i + step] == tokenizer.MaskId)) differing++;
                }
            }
            Assert.True(pairs > 1000, $"only {pairs} pairs of selected neighbours");
            return (double)differing / pairs;
        }
        Assert.InRange(DifferingNeighbours(sepBetweenCharacters: true), 0.27, 0.37);
        Assert.InRange(DifferingNeighbours(sepBetweenCharacters: false), 0.0, 0.2); // the same characters with no [SEP]: runs form
    }

    [Fact]
    public void OneWordSpansDrawTheRandomNumbersWordMaskingAlwaysDrew()
    {
        // Runs pretrained before span masking existed must repeat exactly: the same draws in the same order.
        var tokenizer = Tokenizer();
        var segmenter = new WordPieceSegmenter();
        var masker = new MaskedLanguageModelMasker(tokenizer);
        foreach (var (ids, seed) in PretrainingCorpus.Pack(SyntheticText.Sentences(300, 6).Select(r => r.Sentence!), tokenizer, 64).Select((ids, i) => (ids, i)))
        {
            var actual = masker.Mask(ids, new Random(seed));
            var random = new Random(seed);
            var inputs = (int[])ids.Clone();
            var labels = Enumerable.Repeat(MaskedLanguageModelMasker.IgnoreIndex, ids.Length).ToArray();
            var words = segmenter.Words(ids, tokenizer);
            var order = Enumerable.Range(0, words.Count).ToArray();
            random.Shuffle(order);
            foreach (int w in order.Take(Math.Max(1, (int)Math.Round(words.Count * 0.15))))
            {
                double roll = random.NextDouble();
                foreach (int p in words[w])
                {
                    labels[p] = ids[p];
                    if (roll < 0.8) inputs[p] = tokenizer.MaskId;
                    else if (roll < 0.9) inputs[p] = random.Next(1, tokenizer.VocabSize);
                }
            }
            Assert.Equal(inputs, actual.InputIds);
            Assert.Equal(labels, actual.Labels);
        }
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
