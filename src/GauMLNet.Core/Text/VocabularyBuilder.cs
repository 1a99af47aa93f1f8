using System.Globalization;
using System.Text;
using GauMLNet.Storage;

namespace GauMLNet.Text;

/// <summary>
/// Builds a BERT-style vocab.txt from training text, for training from scratch without a released
/// vocabulary: every CJK character and punctuation mark is a token (GAU-α is char-level); other words
/// become whole-word tokens when frequent, and every letter appears both as a word start and as a
/// "##" continuation piece so any word can still be spelled. Rarest entries go first when over the cap.
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
                if (word.Length == 1 || IsCjkOrPunctuation(word[0]))
                {
                    Increment(charCounts, word);
                    continue;
                }
                Increment(wordCounts, word);
                var elements = StringInfo.GetTextElementEnumerator(word);
                bool first = true;
                while (elements.MoveNext())
                {
                    string piece = (string)elements.Current;
                    Increment(charCounts, first ? piece : "##" + piece);
                    first = false;
                }
            }
        }

        // Characters (and continuation letters) first: they guarantee coverage; then frequent words.
        var characters = charCounts.Where(kv => kv.Value >= minFrequency).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        var words = wordCounts.Where(kv => kv.Value >= Math.Max(2, minFrequency)).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        return SpecialTokens.Concat(characters).Concat(words).Distinct(StringComparer.Ordinal).Take(maxSize).ToList();
    }

    public static void Save(IReadOnlyList<string> vocabulary, string path) =>
        AtomicFile.WriteAllText(path, string.Join("\n", vocabulary) + "\n");

    // Lower-cased words split on whitespace, with every CJK character and punctuation mark on its own,
    // as BERT's basic tokenizer does before WordPiece.
    internal static IEnumerable<string> BasicWords(string text)
    {
        var current = new StringBuilder();
        foreach (char c in text.Normalize(NormalizationForm.FormC).ToLowerInvariant())
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || IsCjkOrPunctuation(c))
            {
                if (current.Length > 0) { yield return current.ToString(); current.Clear(); }
                if (!char.IsWhiteSpace(c) && !char.IsControl(c)) yield return c.ToString();
            }
            else current.Append(c);
        }
        if (current.Length > 0) yield return current.ToString();
    }

    private static bool IsCjkOrPunctuation(char c) =>
        char.IsPunctuation(c) || char.IsSymbol(c) ||
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF) ||
        (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF);

    private static void Increment(Dictionary<string, int> counts, string key) =>
        counts[key] = counts.TryGetValue(key, out int n) ? n + 1 : 1;
}
