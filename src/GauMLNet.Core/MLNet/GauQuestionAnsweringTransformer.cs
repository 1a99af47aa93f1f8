using GauMLNet.QuestionAnswering;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// A fitted GAU-α question answerer. Adds Answer (the TopK answer texts, best first) and Score (their start + end
/// logits) for each Context and Question; <see cref="Answer"/> gives them directly, with their offsets. One built by
/// <see cref="Average"/> scores every window with each of its <see cref="GauTransformerBase.Models"/> and decodes the
/// mean of their start and end logits.
/// </summary>
public sealed class GauQuestionAnsweringTransformer : GauTransformerBase
{
    internal static readonly GauModelVersion ModelVersion = new("GAUQATRN", 0x00010001, "GauQuestionAnswering");
    // A separate entry, so a model.zip of one network stays readable by every GauMLNet that reads question answerers.
    internal static readonly GauModelVersion AverageVersion = new("GAUQAAVG", 0x00010001, "GauAnswererAverage");
    private const int MaxNetworks = 64;

    internal GauQuestionAnsweringTransformer(IHostEnvironment env, GauTaskModel model) : base(env, model)
    {
    }

    private GauQuestionAnsweringTransformer(IHostEnvironment env, IReadOnlyList<GauTaskModel> models) : base(env, RequireSameWindows(models))
    {
    }

    internal override GauModelVersion Version => Models.Count == 1 ? ModelVersion : AverageVersion;

    private protected override GauTransformerBase Create(IHostEnvironment env, GauTaskModel model) => new GauQuestionAnsweringTransformer(env, model);

    private protected override GauTransformerBase Create(IHostEnvironment env, IReadOnlyList<GauTaskModel> models) => new GauQuestionAnsweringTransformer(env, models);

    /// <summary>
    /// One answerer over the networks of several, trained apart (e.g. from different seeds) with the same vocabulary,
    /// windows and columns: each window's start and end logits are their mean. The result takes over the networks;
    /// dispose it rather than the answerers given.
    /// </summary>
    public static GauQuestionAnsweringTransformer Average(IReadOnlyList<GauQuestionAnsweringTransformer> answerers)
    {
        ArgumentNullException.ThrowIfNull(answerers);
        if (answerers.Count == 0) throw new ArgumentException("Give at least one question answerer to average.", nameof(answerers));
        return new GauQuestionAnsweringTransformer(answerers[0].HostEnvironment, answerers.SelectMany(a => a.Models).ToList());
    }

    // The networks must cut the same windows from a question and read the same columns, or their logits do not line up.
    private static IReadOnlyList<GauTaskModel> RequireSameWindows(IReadOnlyList<GauTaskModel> models)
    {
        if (models.Count is 0 or > MaxNetworks) throw new ArgumentException($"An averaged question answerer takes 1 to {MaxNetworks} networks, not {models.Count}.", nameof(models));
        var first = models[0];
        for (int k = 1; k < models.Count; k++)
        {
            var (a, b) = (first.Spec, models[k].Spec);
            string? differs =
                b.Task != GauTask.QuestionAnswering ? $"is a {b.Task} model, not a question answerer" :
                first.Package.VocabText != models[k].Package.VocabText ? "has another vocabulary" :
                a.MaxLength != b.MaxLength ? $"has MaxLength {b.MaxLength}, not {a.MaxLength}" :
                a.QuestionAnswering != b.QuestionAnswering ? $"cuts or decodes windows otherwise ({b.QuestionAnswering} against {a.QuestionAnswering})" :
                !a.TextColumns.SequenceEqual(b.TextColumns) ? $"reads the columns {string.Join(", ", b.TextColumns)}, not {string.Join(", ", a.TextColumns)}" :
                !a.OutputColumns.SequenceEqual(b.OutputColumns) ? $"writes the columns {string.Join(", ", b.OutputColumns)}, not {string.Join(", ", a.OutputColumns)}" :
                null;
            if (differs is not null)
                throw new ArgumentException($"Network {k + 1} ({models[k].Package.Source}) {differs}; averaged networks must share the vocabulary, windows and columns of network 1 ({first.Package.Source}).", nameof(models));
        }
        return models;
    }

    /// <summary>The best answers of each (context, question), best first: text, character offset in the context, score.</summary>
    public IReadOnlyList<AnswerCandidate>[] Answer(IReadOnlyList<(string Context, string Question)> questions) =>
        QuestionAnswerer.Answer(Models, questions.Select((q, i) => new QuestionAnsweringExample($"{i}", q.Context ?? "", q.Question ?? "", [])).ToList());

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

    private protected override void WriteModels(BinaryWriter writer)
    {
        if (Models.Count == 1)
        {
            base.WriteModels(writer);
            return;
        }
        writer.Write(Models.Count);
        foreach (var model in Models) ModelFiles.Write(writer, model.Package.ToFiles());
    }

    internal static GauQuestionAnsweringTransformer CreateAverageFromModel(IHostEnvironment env, object modelLoadContext)
    {
        var reader = MLNetInternals.BeginLoad(modelLoadContext, AverageVersion);
        int count;
        try { count = reader.ReadInt32(); }
        catch (EndOfStreamException ex) { throw new InvalidDataException($"The {AverageVersion.LoaderSignature} entry is empty.", ex); }
        if (count is < 2 or > MaxNetworks) throw new InvalidDataException($"The {AverageVersion.LoaderSignature} entry claims {count} networks; it is corrupt.");
        var models = new List<GauTaskModel>(count);
        try
        {
            for (int k = 0; k < count; k++)
                models.Add(GauTaskModel.Load(GauModelPackage.FromFiles(ModelFiles.Read(reader), $"ML.NET model entry {AverageVersion.LoaderSignature}, network {k + 1} of {count}")));
            return new GauQuestionAnsweringTransformer(env, models);
        }
        catch
        {
            foreach (var model in models) model.Dispose();
            throw;
        }
    }
}
