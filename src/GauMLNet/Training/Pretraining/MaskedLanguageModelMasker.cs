using GauMLNet.Text;

namespace GauMLNet.TorchSharp.Training.Pretraining;

/// <summary>A sequence ready for MLM: inputs with masks applied, and labels (-100 where nothing is predicted).</summary>
public sealed record MaskedSequence(int[] InputIds, long[] Labels);

/// <summary>
/// BERT-style whole-word masking: select <see cref="MaskRate"/> of the words; every piece of a selected word
/// is predicted, and the word is replaced by [MASK] (80%), by random ids drawn uniformly from [1, vocab)
/// (10%), or kept (10%). Special tokens are never selected.
/// </summary>
public sealed class MaskedLanguageModelMasker(GauTokenizer tokenizer, IWordSegmenter? segmenter = null, double maskRate = 0.15)
{
    public const long IgnoreIndex = -100;
    private readonly IWordSegmenter _segmenter = segmenter ?? new WordPieceSegmenter();

    public double MaskRate { get; } = maskRate is > 0 and < 1 ? maskRate : throw new ArgumentOutOfRangeException(nameof(maskRate), maskRate, "The mask rate must be in (0, 1).");

    public MaskedSequence Mask(int[] ids, Random random)
    {
        var inputs = (int[])ids.Clone();
        var labels = new long[ids.Length];
        Array.Fill(labels, IgnoreIndex);
        var words = _segmenter.Words(ids, tokenizer);
        if (words.Count == 0) return new MaskedSequence(inputs, labels);

        int count = Math.Max(1, (int)Math.Round(words.Count * MaskRate));
        var order = Enumerable.Range(0, words.Count).ToArray();
        random.Shuffle(order);
        foreach (int w in order.Take(count))
        {
            double roll = random.NextDouble();
            foreach (int position in words[w])
            {
                labels[position] = ids[position];
                if (roll < 0.8) inputs[position] = tokenizer.MaskId;
                else if (roll < 0.9) inputs[position] = random.Next(1, tokenizer.VocabSize);
            }
        }
        return new MaskedSequence(inputs, labels);
    }
}
