using System.Text;
using System.Text.RegularExpressions;

namespace GauMLNet.QuestionAnswering;

/// <summary>
/// Questions made from unlabelled contexts (cloze QA, Lewis et al. 2019): a span of a sentence is the answer, and the
/// question is the words around it with the span replaced by a question word (什么, 多少, 哪一年, 哪里) and a few
/// characters dropped. Trained before the real questions, they teach a model from scratch to find the sentence a
/// question paraphrases and to point at the part it asks for. Answers are whole clauses (CMRC 2018's answers often
/// are), Latin words and numbers, and runs of characters the context repeats elsewhere (names and terms).
/// </summary>
public static partial class ClozeQuestions
{
    private const string SentenceEnds = "。！？；!?;\n";
    private const string ClauseBreaks = "，,、：:（）()“”\"《》";
    private const string PlaceSuffixes = "省市县国州区城镇村岛山河湖";
    private const string FunctionCharacters = "的了是在和与及等也并而为被把对中上其之以于或将从";
    private const int MinSentenceLength = 10, MaxSentenceLength = 200, MaxClauseAnswerLength = 40, QuestionReach = 25;
    private const double DroppedCharacterRate = 0.05;

    [GeneratedRegex(@"[A-Za-z][A-Za-z\-]*[A-Za-z]|[0-9０-９][0-9０-９.．%％]*")]
    private static partial Regex WordOrNumber();

    [GeneratedRegex(@"^[0-9０-９.．%％]+$")]
    private static partial Regex NumberOnly();

    [GeneratedRegex(@"[A-Za-z0-9０-９]")]
    private static partial Regex LatinOrDigit();

    /// <summary>
    /// Up to <paramref name="perContext"/> questions about each distinct context, in order, with ids <c>CLOZE_1</c>,
    /// <c>CLOZE_2</c>, …; the same contexts and seed give the same questions.
    /// </summary>
    public static IReadOnlyList<QuestionAnsweringExample> From(IEnumerable<string> contexts, int perContext, int seed)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perContext);
        var random = new Random(seed);
        var questions = new List<QuestionAnsweringExample>();
        foreach (string context in contexts.Distinct(StringComparer.Ordinal))
        {
            var pool = Candidates(context, random).ToList();
            Shuffle(pool, random);
            var taken = new HashSet<(int, int)>();
            foreach (var candidate in Alternate(pool))
            {
                if (taken.Count == perContext) break;
                if (!taken.Add((candidate.Start, candidate.End))) continue;
                string answer = context[candidate.Start..candidate.End];
                if (answer.Trim().Length != answer.Length) continue;
                string question = Question(context, candidate, random);
                questions.Add(new($"CLOZE_{questions.Count + 1}", context, question, [new AnswerSpan(answer, candidate.Start)]));
            }
        }
        return questions;
    }

    /// <summary>An answer span (context offsets) in its sentence, with the sentence's clauses (context offsets).</summary>
    private sealed record Candidate(int Start, int End, IReadOnlyList<(int Start, int End)> Clauses)
    {
        public bool IsClause => Clauses.Contains((Start, End));
    }

    private static IEnumerable<Candidate> Candidates(string context, Random random)
    {
        foreach (var (offset, length) in Sentences(context))
        {
            if (length < MinSentenceLength || length > MaxSentenceLength) continue;
            var clauses = Clauses(context, offset, length).Where(c => c.End - c.Start >= 2).ToList();
            if (clauses.Count >= 2)
            {
                var clause = clauses[random.Next(clauses.Count)];
                if (clause.End - clause.Start <= MaxClauseAnswerLength) yield return new(clause.Start, clause.End, clauses);
            }
            foreach (Match m in WordOrNumber().Matches(context.Substring(offset, length)))
                yield return new(offset + m.Index, offset + m.Index + m.Length, clauses);
            foreach (var (start, end) in clauses)
                foreach (var (a, b) in RecurringSpans(context, start, end))
                    if (!LatinOrDigit().IsMatch(context.AsSpan(a, b - a))) yield return new(a, b, clauses);
        }
    }

    private static IEnumerable<(int Offset, int Length)> Sentences(string context)
    {
        int start = 0;
        for (int i = 0; i < context.Length; i++)
            if (SentenceEnds.Contains(context[i]))
            {
                yield return (start, i + 1 - start);
                start = i + 1;
            }
        if (start < context.Length) yield return (start, context.Length - start);
    }

    private static IEnumerable<(int Start, int End)> Clauses(string context, int offset, int length)
    {
        int end = offset + length;
        while (end > offset && SentenceEnds.Contains(context[end - 1])) end--;
        int start = offset;
        for (int i = offset; i < end; i++)
            if (ClauseBreaks.Contains(context[i]))
            {
                if (i > start) yield return (start, i);
                start = i + 1;
            }
        if (end > start) yield return (start, end);
    }

    /// <summary>The spans of a clause that occur again elsewhere in the context and grow no further, not starting or ending on a function character.</summary>
    private static List<(int Start, int End)> RecurringSpans(string context, int start, int end)
    {
        var found = new HashSet<(int Start, int End)>();
        for (int i = start; i < end - 1; i++)
        {
            int n = 2;
            while (i + n <= end && OccursTwice(context, context.Substring(i, n))) n++;
            n--;
            if (n >= 2 && !FunctionCharacters.Contains(context[i]) && !FunctionCharacters.Contains(context[i + n - 1])) found.Add((i, i + n));
        }
        return found.Where(s => !found.Any(o => o != s && o.Start <= s.Start && s.End <= o.End)).OrderBy(s => s.Start).ThenBy(s => s.End).ToList();
    }

    private static bool OccursTwice(string context, string text)
    {
        int first = context.IndexOf(text, StringComparison.Ordinal);
        return first >= 0 && context.IndexOf(text, first + text.Length, StringComparison.Ordinal) >= 0;
    }

    /// <summary>Whole-clause answers and the others in turn, so both kinds reach a context's quota.</summary>
    private static IEnumerable<Candidate> Alternate(List<Candidate> pool)
    {
        var clauses = pool.Where(c => c.IsClause).ToList();
        var others = pool.Where(c => !c.IsClause).ToList();
        for (int i = 0; i < Math.Max(clauses.Count, others.Count); i++)
        {
            if (i < clauses.Count) yield return clauses[i];
            if (i < others.Count) yield return others[i];
        }
    }

    private static string Question(string context, Candidate answer, Random random)
    {
        string text = context[answer.Start..answer.End];
        string word = QuestionWord(context, answer.End, text);
        int after = word == "哪一年" ? answer.End + 1 : answer.End;
        var own = answer.Clauses.Where(c => c.Start <= answer.Start && answer.End <= c.End).Select(c => ((int, int)?)c).FirstOrDefault();
        var (low, high) = own ?? (answer.Start, answer.End);
        if (answer.Start - low + high - after < 6) // too little of its own clause is left: take the neighbours within reach too
            foreach (var (start, end) in answer.Clauses.Where(c => answer.Start - c.End <= QuestionReach && c.Start - answer.End <= QuestionReach))
                (low, high) = (Math.Min(low, start), Math.Max(high, end));
        int leftStart = Math.Max(low, answer.Start - QuestionReach), rightEnd = Math.Max(after, Math.Min(high, after + QuestionReach));
        var question = new StringBuilder();
        Noisy(question, context.AsSpan(leftStart, answer.Start - leftStart), random);
        question.Append(word);
        Noisy(question, context.AsSpan(after, rightEnd - after), random);
        return question.ToString().Trim(' ', '，', ',', '、') + "？";
    }

    private static string QuestionWord(string context, int end, string answer)
    {
        if (NumberOnly().IsMatch(answer)) return end < context.Length && context[end] == '年' ? "哪一年" : "多少";
        return PlaceSuffixes.Contains(answer[^1]) ? "哪里" : "什么";
    }

    private static void Noisy(StringBuilder question, ReadOnlySpan<char> text, Random random)
    {
        foreach (char c in text)
            if (random.NextDouble() > DroppedCharacterRate) question.Append(c);
    }

    private static void Shuffle<T>(List<T> items, Random random)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
