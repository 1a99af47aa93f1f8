using System.Text;

namespace GauMLNet.Text;

/// <summary>
/// The one place that says how a character is tokenized, so a vocabulary built from text (VocabularyBuilder) holds every
/// form the tokenizers look up (CharacterTokenizer, and BERT's basic tokenizer behind GauTokenizer for CJK).
/// </summary>
internal static class CharacterClasses
{
    /// <summary>BERT's CJK Unified Ideographs blocks (its _is_chinese_char): each such character is a token of its own.</summary>
    public static bool IsCjk(int codePoint) =>
        codePoint is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>
    /// A letter or digit outside the CJK blocks (Latin, digits, kana, Hangul, full-width letters): such characters run
    /// together into words, spelled as a first piece and "##" continuations. Anything else that is not whitespace stands alone.
    /// </summary>
    public static bool IsWordCharacter(Rune character) => Rune.IsLetterOrDigit(character) && !IsCjk(character.Value);

    /// <summary>Whitespace and control characters separate words and become no token.</summary>
    public static bool IsSeparator(Rune character) => Rune.IsWhiteSpace(character) || Rune.IsControl(character);
}
