using System.Globalization;
using System.Text;

namespace GauMLNet.Evaluation;

/// <summary>Exact match, F1 and their average, in percent, over every gold question (an unanswered one scores 0).</summary>
public sealed record QuestionAnsweringMetrics(double ExactMatch, double F1, int Questions, int Unanswered)
{
    /// <summary>The mean of <see cref="ExactMatch"/> and <see cref="F1"/>, CMRC 2018's headline figure.</summary>
    public double Average => (ExactMatch + F1) / 2;
}

/// <summary>
/// CMRC 2018's evaluation as its official script defines it. Text is lower-cased and trimmed, then cut into units:
/// each CJK character (U+4E00–U+9FA5) and each listed punctuation mark is a unit, and the runs between them are split
/// into words (letters and digits; other symbols dropped, where the official script uses nltk's word tokenizer).
/// F1 drops the listed punctuation and takes the longest common run of units (a substring, not a subsequence) of
/// prediction and gold: P = lcs / |prediction|, R = lcs / |gold|, the best over the gold answers. EM compares the texts
/// with the listed punctuation removed. Same definition as the same-machine peer (../shared/peers/qa_bilstm.py).
/// </summary>
public static class Cmrc2018Metric
{
    // The official list, tested one character at a time: its two-character entry "……" never matches a character,
    // so a lone '…' is kept by EM (and dropped by F1's word split).
    private static readonly HashSet<char> Punctuation =
    [
        '-', ':', '_', '*', '^', '/', '\\', '~', '`', '+', '=', '，', '。', '：', '？', '！', '“', '”', '；', '’',
        '《', '》', '·', '、', '「', '」', '（', '）', '－', '～', '『', '』',
    ];

    /// <summary>Scores predictions ({question id: answer}) against every gold question ({question id: answer texts}).</summary>
    public static QuestionAnsweringMetrics Score(IReadOnlyDictionary<string, string> predictions, IReadOnlyDictionary<string, IReadOnlyList<string>> gold)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(gold);
        double exact = 0, f1 = 0;
        int unanswered = 0;
        foreach (var (id, answers) in gold)
        {
            if (!predictions.TryGetValue(id, out var prediction))
            {
                unanswered++;
                continue;
            }
            exact += ExactMatch(prediction, answers);
            f1 += F1(prediction, answers);
        }
        int questions = gold.Count;
        return new QuestionAnsweringMetrics(questions == 0 ? 0 : 100 * exact / questions, questions == 0 ? 0 : 100 * f1 / questions, questions, unanswered);
    }

    /// <summary>1 when the prediction equals a gold answer once the listed punctuation is removed, else 0.</summary>
    public static double ExactMatch(string prediction, IReadOnlyList<string> answers)
    {
        string predicted = WithoutPunctuation(prediction);
        return answers.Any(a => WithoutPunctuation(a) == predicted) ? 1 : 0;
    }

    /// <summary>The best F1 (0–1) of the prediction's units against any gold answer's.</summary>
    public static double F1(string prediction, IReadOnlyList<string> answers)
    {
        var predicted = Units(prediction);
        double best = 0;
        foreach (var answer in answers)
        {
            var gold = Units(answer);
            int common = LongestCommonRun(gold, predicted);
            if (common == 0) continue;
            double precision = (double)common / predicted.Count, recall = (double)common / gold.Count;
            best = Math.Max(best, 2 * precision * recall / (precision + recall));
        }
        return best;
    }

    /// <summary>F1's units: lower-cased, the listed punctuation dropped, one unit per CJK character, words between.</summary>
    public static IReadOnlyList<string> Units(string text)
    {
        var units = new List<string>();
        var word = new StringBuilder();
        void EndWord()
        {
            if (word.Length > 0) units.Add(word.ToString());
            word.Clear();
        }
        foreach (var rune in Normalize(text).EnumerateRunes())
        {
            if (rune.IsBmp && Punctuation.Contains((char)rune.Value)) continue;
            if (rune.Value is >= 0x4E00 and <= 0x9FA5)
            {
                EndWord();
                units.Add(rune.ToString());
            }
            else if (IsWordCharacter(rune))
            {
                word.Append(rune.ToString());
            }
            else
            {
                EndWord(); // spaces and other symbols end a word and are no unit
            }
        }
        EndWord();
        return units;
    }

    private static string Normalize(string text) => (text ?? "").Trim().ToLowerInvariant();

    private static string WithoutPunctuation(string text) => string.Concat(Normalize(text).Where(c => !Punctuation.Contains(c)));

    // As a regular expression's \w in Python: letters, numbers of every kind, and '_' (already dropped as punctuation).
    private static bool IsWordCharacter(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => true,
        _ => rune.Value == '_',
    };

    private static int LongestCommonRun(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        int best = 0;
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        foreach (var x in a)
        {
            for (int j = 0; j < b.Count; j++)
            {
                current[j + 1] = x == b[j] ? previous[j] + 1 : 0;
                best = Math.Max(best, current[j + 1]);
            }
            (previous, current) = (current, previous);
        }
        return best;
    }
}
