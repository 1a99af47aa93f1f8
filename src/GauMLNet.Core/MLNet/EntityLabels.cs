using System.Text.Json;
using GauMLNet.Clue;
using GauMLNet.Entities;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary>
/// The two label forms of entity models: per-character BIO tags as a vector of keys (key values O, B-type, I-type),
/// or a Text column of entities in CLUENER's label JSON ({type: {entity text: [[start, end]]}}). Reads either into entities.
/// </summary>
internal static class EntityLabels
{
    public static bool IsTagVector(DataViewType type) => type is VectorDataViewType { ItemType: KeyDataViewType };

    /// <summary>Checks the label column's type and returns the tag names of the tag form (null for the JSON form).</summary>
    public static string[]? TagNames(DataViewSchema.Column column, string component)
    {
        if (column.Type is TextDataViewType) return null;
        if (!IsTagVector(column.Type))
            throw new ArgumentOutOfRangeException(nameof(column),
                $"{component}: label column '{column.Name}' is {column.Type}; expected a vector of keys (per-character BIO tags) or Text (entities as CLUENER label JSON).");
        var values = LabelKeyValues.Read(column) is { ItemType: "text" } labels ? labels.Values
            : throw new ArgumentOutOfRangeException(nameof(column), $"{component}: label column '{column.Name}' needs text key values (the tag names: O, B-type, I-type).");
        foreach (string tag in values)
            if (tag != "O" && !(tag.Length > 2 && (tag.StartsWith("B-", StringComparison.Ordinal) || tag.StartsWith("I-", StringComparison.Ordinal))))
                throw new ArgumentOutOfRangeException(nameof(column), $"{component}: label key value '{tag}' is not a BIO tag (O, B-type or I-type).");
        return values;
    }

    /// <summary>The types named by BIO tags.</summary>
    public static IEnumerable<string> TypesOf(IEnumerable<string> tags) => tags.Where(t => t != "O").Select(t => t[2..]).Distinct(StringComparer.Ordinal);

    /// <summary>A reader of the current row's entities from the label column of either form.</summary>
    public static Func<string, List<Entity>> Reader(DataViewRow row, DataViewSchema.Column column, string[]? tagNames)
    {
        if (tagNames is null)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            return text =>
            {
                ReadOnlyMemory<char> json = default;
                getter(ref json);
                if (json.IsEmpty) return [];
                try
                {
                    using var doc = JsonDocument.Parse(json.ToString());
                    return ClueNerData.ParseLabel(doc.RootElement, text);
                }
                catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
                {
                    throw new InvalidDataException($"label column '{column.Name}', row {row.Position + 1}: not CLUENER label JSON for its sentence ({ex.Message}).", ex);
                }
            };
        }
        var keys = row.GetGetter<VBuffer<uint>>(column);
        return text =>
        {
            VBuffer<uint> buffer = default;
            keys(ref buffer);
            var values = buffer.DenseValues().ToArray();
            if (values.Length != text.Length)
                throw new InvalidDataException($"label column '{column.Name}', row {row.Position + 1}: {values.Length} tags for a sentence of {text.Length} characters; give one tag per character.");
            return FromCharacterTags(values.Select(k => k == 0 ? "O" : tagNames[k - 1]).ToArray());
        };
    }

    /// <summary>Entities of per-character BIO tag names (a stray I- starts an entity).</summary>
    public static List<Entity> FromCharacterTags(IReadOnlyList<string> tags)
    {
        var entities = new List<Entity>();
        for (int i = 0; i < tags.Count; i++)
        {
            if (tags[i] == "O") continue;
            string type = tags[i][2..];
            int j = i;
            while (j + 1 < tags.Count && tags[j + 1] == "I-" + type) j++;
            entities.Add(new Entity(type, i, j));
            i = j;
        }
        return entities;
    }

    /// <summary>Per-character BIO tag names of entities (overlaps: the earlier entity wins).</summary>
    public static string[] ToCharacterTags(int length, IEnumerable<Entity> entities)
    {
        var tags = Enumerable.Repeat("O", length).ToArray();
        foreach (var e in entities.OrderBy(e => e.Start))
        {
            if (e.End >= length || tags[e.Start..(e.End + 1)].Any(t => t != "O")) continue;
            tags[e.Start] = "B-" + e.Type;
            for (int i = e.Start + 1; i <= e.End; i++) tags[i] = "I-" + e.Type;
        }
        return tags;
    }

    /// <summary>The label values of the tag form, for the predicted-label column's key values.</summary>
    public static LabelValues Values(string[] tagNames) => new("text", tagNames);
}
