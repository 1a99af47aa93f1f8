using System.Globalization;
using System.Text.Json;

namespace GauMLNet.Clue;

/// <summary>
/// A CLUE or FewCLUE task: how its JSON lines become <see cref="ClueExample"/>s, whether it is a sentence
/// pair task, and the name of its submission file.
/// </summary>
public sealed class ClueTask
{
    /// <summary>The model metadata key that records which CLUE task a model was trained for.</summary>
    public const string MetadataKey = "clue_task";

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

    /// <summary>
    /// The labels this task's rows carry, where the benchmark fixes them (null where it is open-ended, as CSLDCP's
    /// 67 disciplines): training data with other labels is another task's, and is refused.
    /// </summary>
    public IReadOnlySet<string>? KnownLabels { get; private set; }

    /// <summary>The example of one JSON line, or null for rows the task drops (CMNLI/OCNLI rows labelled "-").</summary>
    internal ClueExample? Parse(JsonElement row) => _parse(row);

    public override string ToString() => Name;

    // TNEWS's 15 category codes (105 and 111 are unused in the benchmark).
    private static readonly string[] TnewsLabels = ["100", "101", "102", "103", "104", "106", "107", "108", "109", "110", "112", "113", "114", "115", "116"];

    /// <summary>The CLUE and FewCLUE tasks GauMLNet reads, by name.</summary>
    public static IReadOnlyDictionary<string, ClueTask> All { get; } = new[]
    {
        Pair("afqmc", "afqmc_predict.json").WithLabels("0", "1"),
        Single("tnews", "tnews11_predict.json", "sentence").WithLabels(TnewsLabels),
        Single("iflytek", "iflytek_predict.json", "sentence").WithLabels([.. Enumerable.Range(0, 119).Select(i => i.ToString(CultureInfo.InvariantCulture))]),
        Pair("cmnli", "cmnli_predict.json", dropDash: true).WithLabels("entailment", "neutral", "contradiction"),
        Pair("ocnli", "ocnli_50k_predict.json", dropDash: true).WithLabels("entailment", "neutral", "contradiction"),
        new ClueTask("csl", isPair: true, "csl_predict.json", "id", ["abst", "keyword"], row => new ClueExample
        {
            // The keywords and the abstract as a pair: does this keyword list belong to this abstract?
            Id = Text(row, "id"),
            Sentence1 = string.Join("；", row.GetProperty("keyword").EnumerateArray().Select(k => k.GetString())),
            Sentence2 = Text(row, "abst"),
            Label = Text(row, "label"),
        }).WithLabels("0", "1"),
        new ClueTask("cluewsc", isPair: false, "cluewsc11_predict.json", "idx", ["text", "target"], WscExample).WithLabels("true", "false"),
        Single("eprstmt", "eprstmt_predict.json", "sentence").WithLabels("Positive", "Negative"),
        Pair("bustm", "bustm_predict.json").WithLabels("0", "1"),
        Single("csldcp", "csldcp_predict.json", "content"),
    }.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);

    private ClueTask WithLabels(params string[] labels)
    {
        KnownLabels = new HashSet<string>(labels, StringComparer.Ordinal);
        return this;
    }

    /// <summary>The tasks whose known labels include all of <paramref name="labels"/>: what a folder of these labels could be.</summary>
    public static IEnumerable<ClueTask> WithLabelsIncluding(IReadOnlyCollection<string> labels) =>
        All.Values.Where(t => t.KnownLabels is { } known && labels.All(known.Contains));

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
            if (span.Index < 0 || span.Index > text.Length - span.Text.Length || string.CompareOrdinal(text, span.Index, span.Text, 0, span.Text.Length) != 0)
                throw new FormatException($"span '{span.Text}' is not at index {span.Index} of the text");
        if (spans[0].Index < spans[1].Index + spans[1].Text.Length && spans[1].Index < spans[0].Index + spans[0].Text.Length)
            throw new FormatException($"spans '{spans[0].Text}' ({spans[0].Index}) and '{spans[1].Text}' ({spans[1].Index}) overlap; they cannot both be marked");
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
