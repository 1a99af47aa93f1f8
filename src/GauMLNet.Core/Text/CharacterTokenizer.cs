using System.Text;

namespace GauMLNet.Text;

/// <summary>
/// Tokenization for character-offset tasks (named entities): one token per non-whitespace character, so every
/// character offset is a token boundary and spans map to tokens and back exactly. CJK characters and punctuation are
/// looked up as they are (GAU-α's vocabulary is char-level); letters and digits are WordPiece pieces of one character
/// — the first of a word as "a", the rest as "##a" — lower-cased, with NFKC (full-width → half-width) as a fallback;
/// a character the vocabulary lacks becomes [UNK]. Whitespace separates words and gets no token.
/// </summary>
public sealed class CharacterTokenizer(GauTokenizer vocabulary)
{
    public GauTokenizer Vocabulary { get; } = vocabulary;

    public AlignedText Encode(string text)
    {
        var ids = new List<int>(text.Length);
        var starts = new List<int>(text.Length);
        var lengths = new List<int>(text.Length);
        bool inWord = false;
        for (int i = 0; i < text.Length;)
        {
            bool wellFormed = Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out int length) == System.Buffers.OperationStatus.Done;
            if (wellFormed && CharacterClasses.IsSeparator(rune))
            {
                inWord = false;
                i += length;
                continue;
            }
            bool wordCharacter = wellFormed && CharacterClasses.IsWordCharacter(rune);
            // A lone surrogate is one [UNK] over its one UTF-16 unit, so offsets stay exact.
            ids.Add(wellFormed ? Lookup(text.Substring(i, length), continuation: wordCharacter && inWord) : Vocabulary.UnknownId);
            starts.Add(i);
            lengths.Add(length);
            inWord = wordCharacter;
            i += length;
        }
        return new AlignedText(text, [.. ids], [.. starts], [.. lengths]);
    }

    private int Lookup(string character, bool continuation)
    {
        foreach (string form in Forms(character))
        {
            if (continuation && Vocabulary.Id("##" + form) is { } piece) return piece;
            if (Vocabulary.Id(form) is { } whole) return whole;
        }
        return Vocabulary.UnknownId;
    }

    // As written, lower-cased, then NFKC-normalized (full-width letters and digits become ASCII) and lower-cased.
    private static IEnumerable<string> Forms(string character)
    {
        yield return character;
        string lower = character.ToLowerInvariant();
        if (lower != character) yield return lower;
        string normalized = character.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        if (normalized != lower && normalized.Length > 0) yield return normalized;
    }
}
