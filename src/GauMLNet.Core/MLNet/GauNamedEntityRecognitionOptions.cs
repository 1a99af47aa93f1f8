using GauMLNet.Configuration;

namespace GauMLNet.MLNet;

/// <summary>
/// Options of GauNamedEntityRecognition. The label column is either per-character BIO tags as a vector of keys (key values
/// O, B-type, I-type; the ML.NET shape), or a Text column of entities in CLUENER's label JSON (the span form).
/// Sentences longer than MaxLength tokens are split into overlapping windows and merged back, never truncated.
/// </summary>
public sealed record GauNamedEntityRecognitionOptions : GauTrainerOptionsBase
{
    public string SentenceColumnName { get; init; } = "Sentence";
    public string LabelColumnName { get; init; } = DefaultLabelColumn;
    /// <summary>Tag form only: the predicted per-character tags, a vector of the label's key type.</summary>
    public string PredictedLabelColumnName { get; init; } = DefaultPredictedLabelColumn;
    /// <summary>The predicted entities as CLUENER label JSON (Text), in both forms.</summary>
    public string PredictedEntitiesColumnName { get; init; } = "PredictedEntities";
    /// <summary>How entities are scored: GlobalPointer (the default, spans, nested entities; best on CLUENER), CRF, or per-token softmax.</summary>
    public EntityHead Head { get; init; } = EntityHead.GlobalPointer;
    /// <summary>The entity types, in order; null: every type the training labels name, sorted.</summary>
    public IReadOnlyList<string>? EntityTypes { get; init; }
}
