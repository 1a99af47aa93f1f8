using System.Text.Json;

namespace GauMLNet.Clue;

/// <summary>
/// A CLUE or FewCLUE task: how its JSON lines become <see cref="ClueExample"/>s, whether it is a sentence
/// pair task, and the name of its submission file.
/// </summary>
public sealed class ClueTask
{
    private readonly Func<JsonElement, ClueExample?> _parse;

    private ClueTask(string name, bool isPair, string submissionFile, string idField, string[] requiredFields, Func<JsonElement, ClueExample?> parse,
        string metric = "accuracy")
    {
        Name = name;
        IsPair = isPair;
        SubmissionFile = submissionFile;
        IdField = idField;
        RequiredFields = requiredFields;
        _parse = parse;
        Metric = metric;
    }

    public string Name { get; }
    public bool IsPair { get; }
    /// <summary>The file CLUE's leaderboard expects, e.g. afqmc_predict.json.</summary>
    public string SubmissionFile { get; }
    /// <summary>The JSON field holding the row id ("id", or "idx" for WSC).</summary>
    public string IdField { get; }
    /// <summary>Fields a labelled row must have; a folder of another task's format is recognised by their absence.</summary>
    public IReadOnlyList<string> RequiredFields { get; }
    public string Metric { get; }

    /// <summary>The example of one JSON line, or null for rows the task drops (CMNLI/OCNLI rows labelled "-").</summary>
    internal ClueExample? Parse(JsonElement row) => _parse(row);

    public override string ToString() => Name;

    /// <summary>The CLUE and FewCLUE tasks GauMLNet reads, by name.</summary>
    public static IReadOnlyDictionary<string, ClueTask> All { get; } = new[]
    {
        Pair("afqmc", "afqmc_predict.json"),
        Single("tnews", "tnews11_predict.json", "sentence"),
        Single("iflytek", "iflytek_predict.json", "sentence"),
        Pair("cmnli", "cmnli_predict.json", dropDash: true),
        Pair("ocnli", "ocnli_50k_predict.json", dropDash: true),
        new ClueTask("csl", isPair: true, "csl_predict.json", "id", ["abst", "keyword"], row => new ClueExample
        {
            // The keywords and the abstract as a pair: does this keyword list belong to this abstract?
            Id = Text(row, "id"),
            Sentence1 = string.Join("；", row.GetProperty("keyword").EnumerateArray().Select(k => k.GetString())),
            Sentence2 = Text(row, "abst"),
            Label = Text(row, "label"),
        }),
        new ClueTask("cluewsc", isPair: false, "cluewsc11_predict.json", "idx", ["text", "target"], WscExample),
        Single("eprstmt", "eprstmt_predict.json", "sentence"),
        Pair("bustm", "bustm_predict.json"),
        Single("csldcp", "csldcp_predict.json", "content"),
    }.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>A task by name (cluewsc2020 and wsc are accepted for cluewsc).</summary>
    public static ClueTask Get(string name)
    {
        string key = name.Trim().ToLowerInvariant() switch { "cluewsc2020" or "wsc" => "cluewsc", var n => n };
        return All.TryGetValue(key, out var task) ? task
            : throw new ArgumentException($"Unknown task '{name}'; expected one of: {string.Join(", ", All.Keys)}.", nameof(name));
    }

    private static ClueTask Single(string name, string submission, string field) =>
        new(name, isPair: false, submission, "id", [field], row => new ClueExample
        {
            Id = Text(row, "id"),
            Sentence1 = Text(row, field),
            Label = Text(row, "label"),
        });

    private static ClueTask Pair(string name, string submission, bool dropDash = false) =>
        new(name, isPair: true, submission, "id", ["sentence1", "sentence2"], row =>
        {
            string label = Text(row, "label");
            if (dropDash && label == "-") return null; // annotators disagreed: CLUE drops these rows
            return new ClueExample { Id = Text(row, "id"), Sentence1 = Text(row, "sentence1"), Sentence2 = Text(row, "sentence2"), Label = label };
        });

    /// <summary>
    /// CLUEWSC: the text with its two spans marked so the model sees which mention and pronoun to link:
    /// span1 (the candidate referent) becomes _span1_ and span2 (the pronoun) becomes [span2].
    /// </summary>
    private static ClueExample WscExample(JsonElement row)
    {
        string text = Text(row, "text");
        var target = row.GetProperty("target");
        var spans = new[]
        {
            (Index: target.GetProperty("span1_index").GetInt32(), Text: Text(target, "span1_text"), Open: "_", Close: "_"),
            (Index: target.GetProperty("span2_index").GetInt32(), Text: Text(target, "span2_text"), Open: "[", Close: "]"),
        };
        foreach (var span in spans)
            if (span.Index < 0 || span.Index + span.Text.Length > text.Length || string.CompareOrdinal(text, span.Index, span.Text, 0, span.Text.Length) != 0)
                throw new FormatException($"span '{span.Text}' is not at index {span.Index} of the text");
        foreach (var span in spans.OrderByDescending(s => s.Index)) // mark the later span first so indices stay valid
            text = text[..span.Index] + span.Open + span.Text + span.Close + text[(span.Index + span.Text.Length)..];
        return new ClueExample { Id = Text(row, "idx"), Sentence1 = text, Label = Text(row, "label") };
    }

    /// <summary>A field as text whatever its JSON kind (labels are strings in some tasks, numbers in others); "" when absent.</summary>
    internal static string Text(JsonElement row, string field) =>
        !row.TryGetProperty(field, out var value) ? "" : value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() ?? "",
            JsonValueKind.Null => "",
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => throw new FormatException($"field '{field}' is {value.ValueKind}, expected a string or number"),
        };
}
