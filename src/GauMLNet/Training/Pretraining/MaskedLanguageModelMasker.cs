using GauMLNet.Text;

namespace GauMLNet.TorchSharp.Training.Pretraining;

/// <summary>A sequence ready for MLM: inputs with masks applied, and labels (-100 where nothing is predicted).</summary>
public sealed record MaskedSequence(int[] InputIds, long[] Labels);

/// <summary>
/// BERT-style whole-word masking: select <see cref="MaskRate"/> of the words; every piece of a selected word
/// is predicted, and the word is replaced by [MASK] (80%), by random ids drawn uniformly from [1, vocab)
/// (10%), or kept (10%). Special tokens are never selected. With <see cref="MaxSpanLength"/> above 1 the
/// selection is SpanBERT's instead: runs of adjacent words, their lengths geometric (p = 0.2) redrawn above
/// <see cref="MaxSpanLength"/>, until the same share of words is selected; a run is replaced as one.
/// </summary>
public sealed class MaskedLanguageModelMasker(GauTokenizer tokenizer, IWordSegmenter? segmenter = null, double maskRate = 0.15, int maxSpanLength = 1)
{
    public const long IgnoreIndex = -100;
    private const double SpanLengthProbability = 0.2;
    private readonly IWordSegmenter _segmenter = segmenter ?? new WordPieceSegmenter();

    public double MaskRate { get; } = maskRate is > 0 and < 1 ? maskRate : throw new ArgumentOutOfRangeException(nameof(maskRate), maskRate, "The mask rate must be in (0, 1).");

    public int MaxSpanLength { get; } = maxSpanLength >= 1 ? maxSpanLength : throw new ArgumentOutOfRangeException(nameof(maxSpanLength), maxSpanLength, "The longest masked span must be at least 1 word.");

    public MaskedSequence Mask(int[] ids, Random random)
    {
        var inputs = (int[])ids.Clone();
        var labels = new long[ids.Length];
        Array.Fill(labels, IgnoreIndex);
        var words = _segmenter.Words(ids, tokenizer);
        if (words.Count == 0) return new MaskedSequence(inputs, labels);

        int count = Math.Max(1, (int)Math.Round(words.Count * MaskRate));
        foreach (var run in MaxSpanLength == 1 ? SingleWords(words.Count, count, random) : Spans(words, count, random))
        {
            double roll = random.NextDouble();
            foreach (int position in run.SelectMany(w => words[w]))
            {
                labels[position] = ids[position];
                if (roll < 0.8) inputs[position] = tokenizer.MaskId;
                else if (roll < 0.9) inputs[position] = random.Next(1, tokenizer.VocabSize);
            }
        }
        return new MaskedSequence(inputs, labels);
    }

    private static IEnumerable<int[]> SingleWords(int words, int count, Random random)
    {
        var order = Enumerable.Range(0, words).ToArray();
        random.Shuffle(order);
        return order.Take(count).Select(w => new[] { w });
    }

    private IEnumerable<int[]> Spans(IReadOnlyList<int[]> words, int count, Random random)
    {
        var taken = new bool[words.Count];
        int selected = 0;
        // Bounded tries: late in a short sequence most starts are taken.
        for (int attempt = 0; selected < count && attempt < 10 * words.Count; attempt++)
        {
            int length = Math.Min(SpanLength(random), count - selected);
            int start = random.Next(words.Count);
            var run = new List<int>();
            // A run stops at a selected word or at a gap (a special token between texts).
            for (int w = start; w < words.Count && run.Count < length && !taken[w]; w++)
            {
                if (run.Count > 0 && words[w][0] != words[w - 1][^1] + 1) break;
                run.Add(w);
            }
            if (run.Count == 0) continue;
            foreach (int w in run) taken[w] = true;
            selected += run.Count;
            yield return [.. run];
        }
    }

    // Geometric, redrawn when longer than the limit: SpanBERT's distribution (mean 3.8 at p 0.2 and 10 words).
    private int SpanLength(Random random)
    {
        while (true)
        {
            int length = 1;
            while (length <= MaxSpanLength && random.NextDouble() >= SpanLengthProbability) length++;
            if (length <= MaxSpanLength) return length;
        }
    }
}
