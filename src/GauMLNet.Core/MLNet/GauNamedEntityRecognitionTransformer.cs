using GauMLNet.Entities;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// A fitted GAU-α entity recognizer. Adds PredictedEntities (CLUENER label JSON) and, when trained on per-character
/// tags, PredictedLabel (a tag key per character, the label's key type). <see cref="Recognize"/> gives entities directly.
/// </summary>
public sealed class GauNamedEntityRecognitionTransformer : GauTransformerBase
{
    internal static readonly GauModelVersion ModelVersion = new("GAUNERTR", 0x00010001, "GauNamedEntities");

    private readonly Lazy<EntityRecognizer> _recognizer;

    internal GauNamedEntityRecognitionTransformer(IHostEnvironment env, GauTaskModel model) : base(env, model) =>
        _recognizer = new Lazy<EntityRecognizer>(() => new EntityRecognizer(Model));

    internal override GauModelVersion Version => ModelVersion;

    private protected override GauTransformerBase Create(IHostEnvironment env, GauTaskModel model) => new GauNamedEntityRecognitionTransformer(env, model);

    /// <summary>The entities of each sentence: type, start and end (inclusive) character offsets.</summary>
    public IReadOnlyList<Entity>[] Recognize(IReadOnlyList<string> sentences) => _recognizer.Value.Recognize(sentences);

    internal override ScoredRow[] Score(IReadOnlyList<string?[]> rows)
    {
        var texts = rows.Select(r => r[0] ?? "").ToList();
        var entities = _recognizer.Value.Recognize(texts);
        return texts.Select((t, i) => new ScoredRow([], t, entities[i])).ToArray();
    }

    private protected override IReadOnlyList<GauOutputColumn> BuildOutputColumns()
    {
        var spec = Model.Spec;
        var columns = new List<GauOutputColumn> { new EntitiesJsonColumn(spec.OutputColumns[0]) };
        if (spec.Labels is { } tags) columns.Add(new CharacterTagsColumn(spec.OutputColumns[1], tags));
        return columns;
    }

    public static GauNamedEntityRecognitionTransformer LoadCheckpoint(MLContext mlContext, string directory, string? device = null) =>
        new(mlContext, LoadDirectory(directory, device, GauTask.TokenClassification, "an entity recognizer"));

    internal static GauNamedEntityRecognitionTransformer CreateFromModel(IHostEnvironment env, object modelLoadContext) =>
        new(env, ReadModel(modelLoadContext, ModelVersion));
}
