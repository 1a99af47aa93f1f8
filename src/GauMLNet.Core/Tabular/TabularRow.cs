using System.Text.Json;

namespace GauMLNet.Tabular;

/// <summary>
/// One record of a data file: its first line (a quoted field may span several), its values by column, and what is needed to
/// write it out again unchanged (the fields of a CSV/TSV row, the object of a JSON line).
/// </summary>
public sealed class TabularRow
{
    private readonly IReadOnlyList<string>? _columns;
    private readonly string[]? _fields;
    private readonly Dictionary<string, string?>? _properties;

    internal TabularRow(long line, IReadOnlyList<string> columns, string[] fields)
    {
        Line = line;
        _columns = columns;
        _fields = fields;
    }

    internal TabularRow(long line, (Dictionary<string, string?> Values, HashSet<string> Structured) properties, string json)
    {
        Line = line;
        _properties = properties.Values;
        _structured = properties.Structured;
        Json = json;
    }

    private readonly HashSet<string>? _structured;

    /// <summary>Whether a JSON line's <paramref name="column"/> is an array or object (which is not text).</summary>
    public bool IsStructured(string column) => _structured?.Contains(column) == true;

    /// <summary>The line the record starts on (1-based, counting a header line).</summary>
    public long Line { get; }

    /// <summary>A CSV/TSV row's fields in file order (fewer or more than the header's when the row is malformed).</summary>
    public IReadOnlyList<string> Fields => _fields ?? [];

    /// <summary>A JSON line's text as read.</summary>
    public string? Json { get; }

    /// <summary>The columns this row has values for.</summary>
    public IEnumerable<string> Columns => _properties?.Keys ?? _columns!.Take(_fields!.Length);

    /// <summary>
    /// The value of <paramref name="column"/>: false when the row has no such column (a short CSV row, a JSON object without
    /// the property); a JSON null reads as an empty value.
    /// </summary>
    public bool TryGet(string column, out string value)
    {
        value = "";
        if (_properties is not null)
        {
            if (!_properties.TryGetValue(column, out var property)) return false;
            value = property ?? "";
            return true;
        }
        int index = IndexOf(_columns!, column);
        if (index < 0 || index >= _fields!.Length) return false;
        value = _fields[index];
        return true;
    }

    private static int IndexOf(IReadOnlyList<string> columns, string column)
    {
        for (int i = 0; i < columns.Count; i++)
            if (string.Equals(columns[i], column, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>A JSON line's properties as text: strings as they are, numbers and booleans as written, null as null; arrays and objects are refused.</summary>
    internal static (Dictionary<string, string?> Values, HashSet<string> Structured) ReadProperties(JsonElement row)
    {
        if (row.ValueKind != JsonValueKind.Object) throw new FormatException($"the line is a JSON {row.ValueKind.ToString().ToLowerInvariant()}, not an object");
        var properties = new Dictionary<string, string?>(StringComparer.Ordinal);
        var structured = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in row.EnumerateObject())
        {
            string? value = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Null => null,
                _ => property.Value.GetRawText(), // numbers and booleans as written; arrays and objects are refused where a text or label is read
            };
            if (!properties.TryAdd(property.Name, value))
                throw new FormatException($"property '{property.Name}' appears more than once; which one is meant is ambiguous");
            if (property.Value.ValueKind is JsonValueKind.Array or JsonValueKind.Object) structured.Add(property.Name);
        }
        return (properties, structured);
    }
}
