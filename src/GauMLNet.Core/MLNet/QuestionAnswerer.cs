using GauMLNet.QuestionAnswering;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using GauMLNet.Text;

namespace GauMLNet.MLNet;

/// <summary>A fitted question-answering model applied to questions: windows in, each question's best answers out.</summary>
internal static class QuestionAnswerer
{
    /// <summary>The windows of questions as the model's description sets them.</summary>
    public static List<QuestionWindow> Windows(CharacterTokenizer tokenizer, IReadOnlyList<QuestionAnsweringExample> questions, GauTaskSpec spec)
    {
        var settings = spec.QuestionAnswering ?? throw new InvalidDataException("The model description has no question_answering settings.");
        return QuestionWindows.Create(tokenizer, questions, new QuestionWindowOptions(spec.MaxLength, settings.DocumentStride, settings.MaxQuestionTokens, settings.MarkQuestionOverlap));
    }

    /// <summary>A model's pass over questions: the windows of those with a context, each window's raw output, and every question's answers.</summary>
    /// <param name="Questions">for each window's <see cref="QuestionWindow.Example"/>, the index of its question among those given</param>
    public sealed record Pass(List<QuestionWindow> Windows, float[][] Outputs, int[] Questions, List<AnswerCandidate>[] Answers);

    /// <summary>
    /// Windows, raw outputs and each question's best answers (at most TopK, best first; none for a context without
    /// characters). With several networks (which cut the same windows), a window's outputs are the mean of theirs.
    /// </summary>
    public static Pass Run(IReadOnlyList<GauTaskModel> models, IReadOnlyList<QuestionAnsweringExample> questions)
    {
        var model = models[0];
        var settings = model.Spec.QuestionAnswering!;
        var answerable = Enumerable.Range(0, questions.Count).Where(i => !string.IsNullOrWhiteSpace(questions[i].Context)).ToArray();
        var windows = Windows(new CharacterTokenizer(model.Tokenizer), answerable.Select(i => questions[i]).ToList(), model.Spec);
        var inputs = windows.Select(w => w.Input).ToArray();
        var outputs = models.Count == 1 ? model.Run(inputs) : MeanOutputs(models, inputs);
        var found = QuestionAnswers.Decode(windows, outputs, answerable.Length, settings.MaxAnswerTokens, settings.TopK);
        var answers = Enumerable.Range(0, questions.Count).Select(_ => new List<AnswerCandidate>()).ToArray();
        for (int k = 0; k < answerable.Length; k++) answers[answerable[k]] = found[k];
        return new Pass(windows, outputs, answerable, answers);
    }

    /// <summary>Each question's best answers (at most TopK), best first; none for a context without characters.</summary>
    public static List<AnswerCandidate>[] Answer(IReadOnlyList<GauTaskModel> models, IReadOnlyList<QuestionAnsweringExample> questions) => Run(models, questions).Answers;

    // Each window's start and end logits ([n, 2], n its length; a padded batch's rows run past it) averaged over the networks.
    private static float[][] MeanOutputs(IReadOnlyList<GauTaskModel> models, EncodedText[] inputs)
    {
        var mean = inputs.Select(x => new float[2 * x.Length]).ToArray();
        foreach (var model in models)
        {
            var outputs = model.Run(inputs);
            for (int k = 0; k < inputs.Length; k++)
                for (int i = 0; i < mean[k].Length; i++) mean[k][i] += outputs[k][i] / models.Count;
        }
        return mean;
    }
}
