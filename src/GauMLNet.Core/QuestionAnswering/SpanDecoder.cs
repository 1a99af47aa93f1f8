namespace GauMLNet.QuestionAnswering;

/// <summary>A predicted answer: its text, where it starts in the context, and its score (start + end logit).</summary>
public sealed record AnswerCandidate(string Text, int Start, float Score);

/// <summary>
/// The best answers of one question over all its windows: spans of context tokens with end ≥ start and at most
/// <c>maxAnswerTokens</c> tokens, scored start logit + end logit; a span seen in two overlapping windows counts once,
/// with its better score.
/// </summary>
public static class SpanDecoder
{
    /// <param name="windows">the question's windows, each with its [length, 2] output (start, end logits per position), row-major</param>
    public static List<AnswerCandidate> Best(IEnumerable<(QuestionWindow Window, float[] Logits)> windows, int maxAnswerTokens, int topK)
    {
        if (maxAnswerTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxAnswerTokens), maxAnswerTokens, "An answer has at least one token.");
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "TopK is at least 1.");
        var best = new Dictionary<(int Start, int End), float>();
        string? context = null;
        foreach (var (window, logits) in windows)
        {
            if (logits.Length < 2 * window.Input.Length)
                throw new ArgumentException($"{logits.Length} logits for an input of {window.Input.Length} positions (two per position).", nameof(windows));
            context ??= window.Context.Text;
            int first = window.ContextPosition, last = window.ContextPosition + window.ContextCount - 1;
            // Per window a few best spans suffice: a small sorted list, kept while scanning every (start, end) pair.
            int keep = 2 * topK; // overlapping windows may repeat a span; keeping twice as many leaves topK distinct ones
            var local = new List<(float Score, int S, int E)>(keep + 1);
            for (int s = first; s <= last; s++)
            {
                float start = logits[2 * s];
                for (int e = s; e <= last && e < s + maxAnswerTokens; e++)
                {
                    float score = start + logits[2 * e + 1];
                    if (local.Count == keep && score <= local[^1].Score) continue;
                    int at = local.FindIndex(x => x.Score < score);
                    local.Insert(at < 0 ? local.Count : at, (score, s, e));
                    if (local.Count > keep) local.RemoveAt(local.Count - 1);
                }
            }
            foreach (var (score, s, e) in local)
            {
                var span = window.Characters(s, e);
                if (!best.TryGetValue(span, out float seen) || score > seen) best[span] = score;
            }
        }
        if (context is null) return [];
        return best.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Start).Take(topK)
            .Select(p => new AnswerCandidate(context[p.Key.Start..p.Key.End], p.Key.Start, p.Value)).ToList();
    }
}
