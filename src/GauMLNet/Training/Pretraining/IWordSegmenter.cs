using GauMLNet.Text;

namespace GauMLNet.TorchSharp.Training.Pretraining;

/// <summary>Groups a sequence's positions into words, for whole-word masking. Special tokens belong to no word.</summary>
public interface IWordSegmenter
{
    /// <summary>The positions of each word, in order.</summary>
    IReadOnlyList<int[]> Words(IReadOnlyList<int> ids, GauTokenizer tokenizer);
}

/// <summary>
/// The default: every CJK character is a word (GAU-α is char-level), and WordPiece continuation
/// pieces ("##…") join the word before them. Plug in a real Chinese word segmenter for word-level
/// whole-word masking.
/// </summary>
public sealed class WordPieceSegmenter : IWordSegmenter
{
    public IReadOnlyList<int[]> Words(IReadOnlyList<int> ids, GauTokenizer tokenizer)
    {
        var words = new List<int[]>();
        var current = new List<int>();
        for (int i = 0; i < ids.Count; i++)
        {
            int id = ids[i];
            if (id == tokenizer.ClsId || id == tokenizer.SepId || id == tokenizer.PadId || id == tokenizer.MaskId)
            {
                Flush();
                continue;
            }
            if (!tokenizer.Token(id).StartsWith("##", StringComparison.Ordinal)) Flush();
            current.Add(i);
        }
        Flush();
        return words;

        void Flush()
        {
            if (current.Count > 0) words.Add([.. current]);
            current.Clear();
        }
    }
}
