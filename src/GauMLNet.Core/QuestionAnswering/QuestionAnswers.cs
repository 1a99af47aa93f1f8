using GauMLNet.Evaluation;

namespace GauMLNet.QuestionAnswering;

/// <summary>From the model's outputs over every window back to questions: their best answers, and CMRC 2018's metric.</summary>
public static class QuestionAnswers
{
    /// <summary>
    /// Each question's best answers (at most <paramref name="topK"/>; none when it has no window), from the windows'
    /// raw outputs ([length, 2] start and end scores each, in window order).
    /// </summary>
    public static List<AnswerCandidate>[] Decode(IReadOnlyList<QuestionWindow> windows, IReadOnlyList<float[]> outputs, int questions, int maxAnswerTokens, int topK)
    {
        if (windows.Count != outputs.Count) throw new ArgumentException($"{outputs.Count} outputs for {windows.Count} windows.", nameof(outputs));
        var answers = new List<AnswerCandidate>[questions];
        foreach (var group in windows.Select((w, i) => (Window: w, Logits: outputs[i])).GroupBy(p => p.Window.Example))
            answers[group.Key] = SpanDecoder.Best(group, maxAnswerTokens, topK);
        for (int q = 0; q < questions; q++) answers[q] ??= [];
        return answers;
    }

    /// <summary>EM and F1 (CMRC 2018) of each question's best answer against its gold answers; every question counts.</summary>
    public static QuestionAnsweringMetrics Score(IReadOnlyList<QuestionAnsweringExample> questions, IReadOnlyList<QuestionWindow> windows, IReadOnlyList<float[]> outputs, int maxAnswerTokens) =>
        Score(questions, Decode(windows, outputs, questions.Count, maxAnswerTokens, topK: 1));

    /// <summary>EM and F1 (CMRC 2018) of each question's first answer (none: it scores 0) against its gold answers.</summary>
    public static QuestionAnsweringMetrics Score(IReadOnlyList<QuestionAnsweringExample> questions, IReadOnlyList<IReadOnlyList<AnswerCandidate>> best)
    {
        var predictions = new Dictionary<string, string>(StringComparer.Ordinal);
        var gold = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (int q = 0; q < questions.Count; q++)
        {
            gold[questions[q].Id] = questions[q].Answers.Select(a => a.Text).ToList();
            if (best[q].Count > 0) predictions[questions[q].Id] = best[q][0].Text;
        }
        return Cmrc2018Metric.Score(predictions, gold);
    }
}
