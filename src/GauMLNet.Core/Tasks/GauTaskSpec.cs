using System.Text.Json;
using System.Text.Json.Serialization;
using GauMLNet.Configuration;

namespace GauMLNet.Tasks;

/// <summary>What a fitted GAU model does and how it scores: gau-task.json in its model files.</summary>
public sealed record GauTaskSpec
{
    public const string FileName = "gau-task.json";
    /// <summary>2: the model's files carry a SHA-256 manifest. Format 1 (no manifest) still loads.</summary>
    public const int CurrentFormat = 2;

    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    [JsonPropertyName("task")] public required GauTask Task { get; init; }
    /// <summary>One text column, or two for sentence pairs.</summary>
    [JsonPropertyName("text_columns")] public required string[] TextColumns { get; init; }
    [JsonPropertyName("label_column")] public string? LabelColumn { get; init; }
    /// <summary>Score (and PredictedLabel), or the embedding's column.</summary>
    [JsonPropertyName("output_columns")] public required string[] OutputColumns { get; init; }
    /// <summary>Classes (classification), 1 (regression) or the embedding width.</summary>
    [JsonPropertyName("outputs")] public int Outputs { get; init; }
    [JsonPropertyName("max_length")] public int MaxLength { get; init; } = 128;
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 32;
    [JsonPropertyName("pooling")] public SequencePooling Pooling { get; init; } = SequencePooling.First;
    /// <summary>The engine the model scores with when it is registered: torchsharp or onnxruntime.</summary>
    [JsonPropertyName("engine")] public string Engine { get; init; } = "torchsharp";
    [JsonPropertyName("device")] public string Device { get; init; } = "auto";
    /// <summary>The format the model scores in; the saved weights are fp32 either way.</summary>
    [JsonPropertyName("inference_precision")] public InferencePrecision InferencePrecision { get; init; } = InferencePrecision.Float32;
    /// <summary>Score in <see cref="InferencePrecision"/> even where the device only emulates it (else an engine may fall back to fp32 and say so).</summary>
    [JsonPropertyName("force_precision")] public bool ForcePrecision { get; init; }

    /// <summary>The label's key values, so predictions map back to the original labels.</summary>
    [JsonPropertyName("label_values")] public LabelValues? Labels { get; init; }
    /// <summary>Token classification: the head that scores entities.</summary>
    [JsonPropertyName("entity_head")] public EntityHead? EntityHead { get; init; }
    /// <summary>Token classification: the entity types, in the order of the head's outputs.</summary>
    [JsonPropertyName("entity_types")] public string[]? EntityTypes { get; init; }
    /// <summary>Free-form facts about the model, e.g. the CLUE task it was trained for (clue_task).</summary>
    [JsonPropertyName("metadata")] public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    /// <summary>Question answering: how inputs are windowed and answers decoded.</summary>
    [JsonPropertyName("question_answering")] public QuestionAnsweringSettings? QuestionAnswering { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new TaskNameConverter(), new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static GauTaskSpec FromJson(string json, string source)
    {
        GauTaskSpec spec;
        try { spec = JsonSerializer.Deserialize<GauTaskSpec>(json, Json) ?? throw new InvalidDataException($"{source}: empty."); }
        catch (JsonException ex) { throw new InvalidDataException($"{source}: not a valid GAU task description ({ex.Message}).", ex); }
        if (spec.Format > CurrentFormat)
            throw new InvalidDataException($"{source}: format {spec.Format} is newer than this GauMLNet reads ({CurrentFormat}); upgrade GauMLNet.");
        if (!Enum.IsDefined(spec.InferencePrecision))
            throw new InvalidDataException($"{source}: unknown inference_precision '{spec.InferencePrecision}'; expected Float32, BFloat16 or Int8.");
        if (spec.TextColumns is not { Length: 1 or 2 })
            throw new InvalidDataException($"{source}: text_columns must name one or two columns.");
        if (spec.OutputColumns is not { Length: > 0 } || spec.Outputs < 1)
            throw new InvalidDataException($"{source}: output_columns and outputs must be set.");
        if (spec.Task == GauTask.TokenClassification && (spec.EntityHead is null || spec.EntityTypes is not { Length: > 0 }))
            throw new InvalidDataException($"{source}: a token-classification model needs entity_head and entity_types.");
        if (spec.Task == GauTask.QuestionAnswering && spec.QuestionAnswering is not { TopK: > 0, MaxAnswerTokens: > 0, DocumentStride: > 0, MaxQuestionTokens: > 0 })
            throw new InvalidDataException($"{source}: a question-answering model needs question_answering with positive top_k, max_answer_tokens, document_stride and max_question_tokens.");
        return spec;
    }

    /// <summary>Task names as gau-task.json has always spelled them: classification, regression, embedding.</summary>
    private sealed class TaskNameConverter : JsonConverter<GauTask>
    {
        public override GauTask Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string? name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            return Enum.GetValues<GauTask>().FirstOrDefault(t => Name(t) == name, (GauTask)(-1)) is var task && Enum.IsDefined(task) ? task
                : throw new JsonException($"unknown task '{name}'; expected {string.Join(", ", Enum.GetValues<GauTask>().Select(Name))}");
        }

        public override void Write(Utf8JsonWriter writer, GauTask value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));

        private static string Name(GauTask task) => JsonNamingPolicy.SnakeCaseLower.ConvertName(task.ToString());
    }
}
