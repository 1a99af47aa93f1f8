using System.Text;
using GauMLNet.Storage;

namespace GauMLNet.Text;

/// <summary>
/// Builds a BERT-style vocab.txt from training text, for training from scratch without a released
/// vocabulary: every CJK character, punctuation mark and symbol is a token (GAU-α is char-level); runs of other
/// letters and digits are words, whole-word tokens when frequent, and each of their characters appears as the word
/// start or "##" continuation it was seen as, so any seen word can still be spelled by CharacterTokenizer and
/// WordPiece alike (CharacterClasses holds the rules both follow). Rarest entries go first when over the cap.
/// </summary>
public static class VocabularyBuilder
{
    public static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    public static IReadOnlyList<string> Build(IEnumerable<string?> texts, int maxSize = 8000, int minFrequency = 1)
    {
        if (maxSize <= SpecialTokens.Length) throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "The vocabulary cap must leave room beyond the special tokens.");
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var charCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string? text in texts)
        {
            if (string.IsNullOrEmpty(text)) continue;
            foreach (string word in BasicWords(text))
            {
                var runes = word.EnumerateRunes().Select(r => r.ToString()).ToList();
                if (runes.Count == 1)
                {
                    Increment(charCounts, word);
                    continue;
                }
                Increment(wordCounts, word);
                for (int i = 0; i < runes.Count; i++)
                    Increment(charCounts, i == 0 ? runes[i] : "##" + runes[i]);
            }
        }

        // Characters (and continuation letters) first: they guarantee coverage; then frequent words.
        var characters = charCounts.Where(kv => kv.Value >= minFrequency).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        var words = wordCounts.Where(kv => kv.Value >= Math.Max(2, minFrequency)).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        return SpecialTokens.Concat(characters).Concat(words).Distinct(StringComparer.Ordinal).Take(maxSize).ToList();
    }

    public static void Save(IReadOnlyList<string> vocabulary, string path) =>
        AtomicFile.WriteAllText(path, string.Join("\n", vocabulary) + "\n");

    // Lower-cased words split on whitespace, with every character that is not a word character (CJK, punctuation,
    // symbols: CharacterClasses) on its own, as BERT's basic tokenizer does before WordPiece. Ill-formed UTF-16 (a lone
    // surrogate) reads as U+FFFD and stands alone.
    internal static IEnumerable<string> BasicWords(string text)
    {
        var current = new StringBuilder();
        foreach (var rune in WellFormed(text).Normalize(NormalizationForm.FormC).ToLowerInvariant().EnumerateRunes())
        {
            if (CharacterClasses.IsWordCharacter(rune))
            {
                current.Append(rune.ToString());
                continue;
            }
            if (current.Length > 0) { yield return current.ToString(); current.Clear(); }
            if (!CharacterClasses.IsSeparator(rune)) yield return rune.ToString();
        }
        if (current.Length > 0) yield return current.ToString();
    }

    // Normalize throws on a lone surrogate; it becomes U+FFFD, as a UTF-8 reader would have made it.
    private static string WellFormed(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF')) return text;
        var repaired = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes()) repaired.Append(rune.ToString());
        return repaired.ToString();
    }

    private static void Increment(Dictionary<string, int> counts, string key) =>
        counts[key] = counts.TryGetValue(key, out int n) ? n + 1 : 1;
}
