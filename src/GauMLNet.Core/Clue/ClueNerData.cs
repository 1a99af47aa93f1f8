using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GauMLNet.Entities;
using GauMLNet.Storage;

namespace GauMLNet.Clue;

/// <summary>One CLUENER row: its id (test rows), text and entities (empty for test rows).</summary>
public sealed record NerExample(string Id, string Text, IReadOnlyList<Entity> Entities);

/// <summary>
/// CLUENER2020 JSON lines: <c>{"id", "text", "label": {type: {entity text: [[start, end], …]}}}</c>, end inclusive, character
/// offsets; and its submission format, one <c>{"id", "label"}</c> per line.
/// </summary>
public static class ClueNerData
{
    public const string SubmissionFile = "cluener_predict.json";

    /// <summary>Every row of a file; a span that does not match its entity text is an error naming the file and line.</summary>
    public static List<NerExample> Read(string path, bool requireLabels, Encoding? encoding = null)
    {
        var rows = new List<NerExample>();
        var lines = TextFiles.ReadAllLines(path, encoding);
        for (int n = 0; n < lines.Length; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n])) continue;
            try
            {
                using var doc = JsonDocument.Parse(lines[n]);
                var row = doc.RootElement;
                if (row.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
                if (!row.TryGetProperty("text", out var textElement) || textElement.ValueKind != JsonValueKind.String)
                    throw new FormatException("missing string field 'text' — is this CLUENER data?");
                string text = textElement.GetString()!;
                string id = row.TryGetProperty("id", out var idElement) ? idElement.ToString() : rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                bool labelled = row.TryGetProperty("label", out var label) && label.ValueKind == JsonValueKind.Object;
                if (requireLabels && !labelled) throw new FormatException("the row has no 'label' object");
                rows.Add(new NerExample(id, text, labelled ? ParseLabel(label, text) : []));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                throw new ClueFormatException(path, n + 1, ex.Message, ex);
            }
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path} holds no CLUENER rows.");
        return rows;
    }

    /// <summary>The entities of a CLUENER label object, each span checked against the text.</summary>
    public static List<Entity> ParseLabel(JsonElement label, string text)
    {
        var entities = new List<Entity>();
        foreach (var type in label.EnumerateObject())
        {
            if (type.Value.ValueKind != JsonValueKind.Object) throw new FormatException($"label '{type.Name}' is not an object of entities");
            foreach (var mention in type.Value.EnumerateObject())
            {
                if (mention.Value.ValueKind != JsonValueKind.Array) throw new FormatException($"entity '{mention.Name}' has no list of spans");
                foreach (var span in mention.Value.EnumerateArray())
                {
                    if (span.ValueKind != JsonValueKind.Array || span.GetArrayLength() != 2 || !span[0].TryGetInt32(out int start) || !span[1].TryGetInt32(out int end))
                        throw new FormatException($"entity '{mention.Name}' has a span that is not [start, end]");
                    if (start < 0 || end < start || end >= text.Length || string.CompareOrdinal(text, start, mention.Name, 0, end - start + 1) != 0 || mention.Name.Length != end - start + 1)
                        throw new FormatException($"entity '{mention.Name}' ({type.Name}) is not at [{start}, {end}] of the text");
                    entities.Add(new Entity(type.Name, start, end));
                }
            }
        }
        return entities;
    }

    /// <summary>The entities in CLUENER's label form, with entity texts from <paramref name="text"/>.</summary>
    public static JsonObject Label(string text, IEnumerable<Entity> entities)
    {
        var label = new JsonObject();
        foreach (var byType in entities.GroupBy(e => e.Type).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var mentions = new JsonObject();
            foreach (var byText in byType.GroupBy(e => e.TextIn(text)))
                mentions[byText.Key] = new JsonArray(byText.OrderBy(e => e.Start).Select(e => (JsonNode)new JsonArray(e.Start, e.End)).ToArray());
            label[byType.Key] = mentions;
        }
        return label;
    }

    /// <summary>Writes the submission file: one <c>{"id": …, "label": …}</c> per row, in order.</summary>
    public static void WriteSubmission(string path, IReadOnlyList<NerExample> rows, IReadOnlyList<IReadOnlyList<Entity>> predicted) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, TextFiles.StrictUtf8, leaveOpen: true);
            for (int i = 0; i < rows.Count; i++)
            {
                var line = new JsonObject
                {
                    ["id"] = long.TryParse(rows[i].Id, out long numeric) ? numeric : rows[i].Id,
                    ["label"] = Label(rows[i].Text, predicted[i]),
                };
                writer.WriteLine(line.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            }
        });
}
