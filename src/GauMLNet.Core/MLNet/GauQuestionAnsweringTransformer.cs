using GauMLNet.QuestionAnswering;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// A fitted GAU-α question answerer. Adds Answer (the TopK answer texts, best first) and Score (their start + end
/// logits) for each Context and Question; <see cref="Answer"/> gives them directly, with their offsets.
/// </summary>
public sealed class GauQuestionAnsweringTransformer : GauTransformerBase
{
    internal static readonly GauModelVersion ModelVersion = new("GAUQATRN", 0x00010001, "GauQuestionAnswering");

    internal GauQuestionAnsweringTransformer(IHostEnvironment env, GauTaskModel model) : base(env, model)
    {
    }

    internal override GauModelVersion Version => ModelVersion;

    private protected override GauTransformerBase Create(IHostEnvironment env, GauTaskModel model) => new GauQuestionAnsweringTransformer(env, model);

    /// <summary>The best answers of each (context, question), best first: text, character offset in the context, score.</summary>
    public IReadOnlyList<AnswerCandidate>[] Answer(IReadOnlyList<(string Context, string Question)> questions) =>
        QuestionAnswerer.Answer(Model, questions.Select((q, i) => new QuestionAnsweringExample($"{i}", q.Context ?? "", q.Question ?? "", [])).ToList());

    internal override ScoredRow[] Score(IReadOnlyList<string?[]> rows)
    {
        var answers = Answer(rows.Select(r => (r[0] ?? "", r[1] ?? "")).ToList());
        return answers.Select(a => new ScoredRow([.. a.Select(c => c.Score)], Answers: [.. a.Select(c => c.Text)])).ToArray();
    }

    private protected override IReadOnlyList<GauOutputColumn> BuildOutputColumns() =>
    [
        new AnswerTextsColumn(Model.Spec.OutputColumns[0]),
        new VectorOutputColumn(Model.Spec.OutputColumns[1], size: 0, Microsoft.ML.DataViewSchema.Annotations.Empty),
    ];

    public static GauQuestionAnsweringTransformer LoadCheckpoint(MLContext mlContext, string directory, string? device = null) =>
        new(mlContext, LoadDirectory(directory, device, GauTask.QuestionAnswering, "a question answerer"));

    internal static GauQuestionAnsweringTransformer CreateFromModel(IHostEnvironment env, object modelLoadContext) =>
        new(env, ReadModel(modelLoadContext, ModelVersion));
}
