using System.Text.Json;
using System.Text.Json.Nodes;
using GauMLNet.Tasks;

namespace GauMLNet.Interop;

/// <summary>
/// gaumlnet.json, the one file of the PyTorch layout that is not PyTorch's own: what the weights do (task, head and its
/// parameter names, labels in the head's output order, pooling, max length), the JSON fields a CLUE row holds, and the
/// fitted model's gau-task.json verbatim ("gau_task"), from which ML.NET rebuilds the model. The other fields are
/// derived from it for Python readers; on import they must still agree with it.
/// </summary>
public sealed record PyTorchModelDescription
{
    public const string FileName = "gaumlnet.json";
    public const int CurrentFormat = 1;
    /// <summary>The task of a pretraining checkpoint (MLM head, no fitted model).</summary>
    public const string MaskedLanguageModelTask = "masked_lm";

    public required string Task { get; init; }
    /// <summary>pooled (classification, regression), none (embedding), token (token classification), masked_lm.</summary>
    public required string HeadKind { get; init; }
    /// <summary>The head's parameter names in model.safetensors (everything not under gau_alpha.).</summary>
    public required IReadOnlyList<string> HeadParameters { get; init; }
    public IReadOnlyList<string>? Labels { get; init; }
    public int Outputs { get; init; }
    public string? Pooling { get; init; }
    public int? MaxLength { get; init; }
    public IReadOnlyList<string>? TextColumns { get; init; }
    public string? ClueTask { get; init; }
    /// <summary>A CLUE row's JSON fields: the text field(s) in order, then the label field.</summary>
    public IReadOnlyList<string>? TextFields { get; init; }
    public string? LabelField { get; init; }
    /// <summary>The fitted model's task description; null for a pretraining checkpoint.</summary>
    public GauTaskSpec? Spec { get; init; }

    /// <summary>The description of a fitted model.</summary>
    public static PyTorchModelDescription Of(GauTaskSpec spec, IReadOnlyList<string> headParameters)
    {
        string? clueTask = spec.Metadata?.GetValueOrDefault(Clue.ClueTask.MetadataKey);
        var task = clueTask is null ? null : Clue.ClueTask.All.GetValueOrDefault(clueTask);
        return new PyTorchModelDescription
        {
            Task = TaskName(spec.Task),
            HeadKind = spec.Task switch
            {
                GauTask.Classification or GauTask.Regression => "pooled",
                GauTask.Embedding => "none",
                _ => "token",
            },
            HeadParameters = headParameters,
            Labels = spec.Task == GauTask.TokenClassification ? spec.EntityTypes : spec.Labels?.Values,
            Outputs = spec.Outputs,
            Pooling = spec.Pooling.ToString().ToLowerInvariant(),
            MaxLength = spec.MaxLength,
            TextColumns = spec.TextColumns,
            ClueTask = task?.Name,
            TextFields = task?.RequiredFields,
            LabelField = task is null ? null : "label",
            Spec = spec,
        };
    }

    /// <summary>The description of a pretraining checkpoint.</summary>
    public static PyTorchModelDescription OfCheckpoint(IReadOnlyList<string> headParameters) => new()
    {
        Task = MaskedLanguageModelTask,
        HeadKind = MaskedLanguageModelTask,
        HeadParameters = headParameters,
    };

    public static string TaskName(GauTask task) => JsonNamingPolicy.SnakeCaseLower.ConvertName(task.ToString());

    public string ToJson()
    {
        var root = new JsonObject
        {
            ["format"] = CurrentFormat,
            ["task"] = Task,
            ["head"] = new JsonObject { ["kind"] = HeadKind, ["parameters"] = new JsonArray([.. HeadParameters.Select(p => (JsonNode)p)]) },
        };
        if (Labels is not null) root["labels"] = new JsonArray([.. Labels.Select(l => (JsonNode)l)]);
        if (Spec is not null)
        {
            root["outputs"] = Outputs;
            root["pooling"] = Pooling;
            root["max_length"] = MaxLength;
            root["text_columns"] = new JsonArray([.. TextColumns!.Select(c => (JsonNode)c)]);
        }
        if (ClueTask is not null)
        {
            root["clue_task"] = ClueTask;
            root["data"] = new JsonObject { ["text_fields"] = new JsonArray([.. TextFields!.Select(f => (JsonNode)f)]), ["label_field"] = LabelField };
        }
        if (Spec is not null) root["gau_task"] = JsonNode.Parse(Spec.ToJson());
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Parses gaumlnet.json; every error names <paramref name="source"/> and the field at fault.</summary>
    public static PyTorchModelDescription FromJson(string json, string source)
    {
        JsonObject root;
        // Duplicate keys are refused while parsing (JsonObject would throw ArgumentException at the first lookup): which one is meant is ambiguous.
        try { root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject ?? throw new InvalidDataException($"{source}: not a JSON object."); }
        catch (JsonException ex) { throw new InvalidDataException($"{source}: not valid JSON ({ex.Message}).", ex); }
        int format = Get(root, "format", source, n => n.GetValue<int>());
        if (format > CurrentFormat) throw new InvalidDataException($"{source}: format {format} is newer than this GauMLNet reads ({CurrentFormat}); upgrade GauMLNet.");
        string task = Get(root, "task", source, n => n.GetValue<string>());
        var head = root["head"] as JsonObject ?? throw new InvalidDataException($"{source}: 'head' is missing or not an object.");
        string headKind = Get(head, "kind", source, n => n.GetValue<string>(), "head.kind");
        var headParameters = Get(head, "parameters", source, n => n.AsArray().Select(Text).ToList(), "head.parameters");
        var labels = root["labels"] is JsonArray l ? Read(() => l.Select(Text).ToList(), source, "labels") : null;
        if (task == MaskedLanguageModelTask)
            return new PyTorchModelDescription { Task = task, HeadKind = headKind, HeadParameters = headParameters };

        var specNode = root["gau_task"] as JsonObject ?? throw new InvalidDataException($"{source}: 'gau_task' is missing; a fitted model's export carries its gau-task.json there.");
        var spec = GauTaskSpec.FromJson(specNode.ToJsonString(), $"{source} (gau_task)");
        var expected = Of(spec, headParameters);
        // The Python-facing fields must say what gau_task says: an edit to one and not the other is refused, not guessed at.
        void Agree<T>(string field, T? found, T? wanted)
        {
            if (!EqualityComparer<T>.Default.Equals(found, wanted))
                throw new InvalidDataException($"{source}: '{field}' is {Show(found)} but gau_task says {Show(wanted)}; the two must agree.");
        }
        Agree("task", task, expected.Task);
        Agree("head.kind", headKind, expected.HeadKind);
        Agree("labels", labels is null ? null : string.Join(", ", labels), expected.Labels is null ? null : string.Join(", ", expected.Labels));
        Agree("outputs", root["outputs"] is { } o ? Read(() => o.GetValue<int>(), source, "outputs") : (int?)null, (int?)expected.Outputs);
        Agree("pooling", root["pooling"] is { } p ? Read(() => p.GetValue<string>(), source, "pooling") : null, expected.Pooling);
        Agree("max_length", root["max_length"] is { } m ? Read(() => m.GetValue<int>(), source, "max_length") : (int?)null, expected.MaxLength);
        return expected;
    }

    private static string Text(JsonNode? node) => node?.GetValue<string>() ?? throw new FormatException("an entry is null");

    private static string Show<T>(T? value) => value is null ? "absent" : $"'{value}'";

    private static T Get<T>(JsonObject node, string name, string source, Func<JsonNode, T> read, string? field = null) =>
        node[name] is { } value ? Read(() => read(value), source, field ?? name) : throw new InvalidDataException($"{source}: '{field ?? name}' is missing.");

    private static T Read<T>(Func<T> read, string source, string field)
    {
        try { return read(); }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: '{field}' has the wrong type ({ex.Message}).", ex);
        }
    }
}
