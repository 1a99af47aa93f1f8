using System.Text.Json;
using System.Text.Json.Serialization;
using GauMLNet.Modeling;
using GauMLNet.Runtime;

namespace GauMLNet.MLNet;

/// <summary>What a fitted GAU model does: gau-task.json in its checkpoint directory.</summary>
public sealed record GauTaskSpec
{
    public const string FileName = "gau-task.json";
    public const int CurrentFormat = 1;

    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    /// <summary>classification, regression or embedding.</summary>
    [JsonPropertyName("task")] public required string Task { get; init; }
    /// <summary>One text column, or two for sentence pairs.</summary>
    [JsonPropertyName("text_columns")] public required string[] TextColumns { get; init; }
    [JsonPropertyName("label_column")] public string? LabelColumn { get; init; }
    /// <summary>Score (and PredictedLabel), or the embedding's column.</summary>
    [JsonPropertyName("output_columns")] public required string[] OutputColumns { get; init; }
    [JsonPropertyName("outputs")] public int Outputs { get; init; }
    [JsonPropertyName("max_length")] public int MaxLength { get; init; } = 128;
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 32;
    [JsonPropertyName("pooling")] public SequencePooling Pooling { get; init; } = SequencePooling.First;
    [JsonPropertyName("device")] public string Device { get; init; } = "auto";
    /// <summary>The format the model scores in; the saved weights are fp32 either way.</summary>
    [JsonPropertyName("inference_precision")] public InferencePrecision InferencePrecision { get; init; } = InferencePrecision.Float32;
    /// <summary>The label's key values, so predictions map back to the original labels.</summary>
    [JsonPropertyName("label_values")] public LabelValues? Labels { get; init; }

    public const string Classification = "classification";
    public const string Regression = "regression";
    public const string Embedding = "embedding";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static GauTaskSpec FromJson(string json, string source)
    {
        GauTaskSpec spec;
        try { spec = JsonSerializer.Deserialize<GauTaskSpec>(json, Json) ?? throw new InvalidDataException($"{source}: empty."); }
        catch (JsonException ex) { throw new InvalidDataException($"{source}: not a valid GAU task description ({ex.Message}).", ex); }
        if (spec.Format > CurrentFormat)
            throw new InvalidDataException($"{source}: format {spec.Format} is newer than this GauMLNet reads ({CurrentFormat}); upgrade GauMLNet.");
        if (spec.Task is not (Classification or Regression or Embedding))
            throw new InvalidDataException($"{source}: unknown task '{spec.Task}'.");
        if (!Enum.IsDefined(spec.InferencePrecision))
            throw new InvalidDataException($"{source}: unknown inference_precision '{spec.InferencePrecision}'; expected Float32 or BFloat16.");
        if (spec.TextColumns.Length is not (1 or 2))
            throw new InvalidDataException($"{source}: text_columns must name one or two columns.");
        return spec;
    }
}

/// <summary>A key column's values as text plus their ML.NET item type (text, single, double, int32, uint32, int64, uint64, boolean).</summary>
public sealed record LabelValues([property: JsonPropertyName("type")] string ItemType, [property: JsonPropertyName("values")] string[] Values);
