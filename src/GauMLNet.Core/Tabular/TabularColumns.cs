namespace GauMLNet.Tabular;

/// <summary>The columns of a data file a model reads: the text, the second text of a pair, the label (by name, or 1-based position).</summary>
public sealed record TabularColumns(string Text, string? TextPair = null, string? Label = null)
{
    /// <summary>The columns named, for header detection and the model's metadata.</summary>
    public IReadOnlyList<string> Named => [Text, .. TextPair is null ? Array.Empty<string>() : [TextPair], .. Label is null ? Array.Empty<string>() : [Label]];

    /// <summary>The same columns as this file names them (positions become header names); throws naming the columns there are.</summary>
    public TabularColumns ResolvedIn(TabularReader reader) =>
        new(reader.Resolve(Text), TextPair is null ? null : reader.Resolve(TextPair), Label is null ? null : reader.Resolve(Label));

    /// <summary>The row's texts and label; a missing or empty text, or a missing or empty label when one is required, is an error naming the line and column.</summary>
    public TabularExample Read(TabularRow row, string path, bool requireLabel)
    {
        string text = Value(row, path, Text, required: true)!;
        string? pair = TextPair is null ? null : Value(row, path, TextPair, required: true);
        string? label = Label is null ? null : Value(row, path, Label, requireLabel);
        return new TabularExample(row.Line, text, pair, label);
    }

    private static string? Value(TabularRow row, string path, string column, bool required)
    {
        if (!row.TryGet(column, out string value))
        {
            if (!required) return null;
            throw new TabularFormatException(path, row.Line, $"column '{column}' is missing; the row has: {string.Join(", ", row.Columns.Select(c => $"'{c}'"))}");
        }
        if (row.IsStructured(column))
            throw new TabularFormatException(path, row.Line, $"column '{column}' is a JSON array or object, not text");
        if (required && string.IsNullOrWhiteSpace(value)) throw new TabularFormatException(path, row.Line, $"column '{column}' is empty");
        return value.Length == 0 && !required ? null : value;
    }
}

/// <summary>One usable row: its line, text(s) and label as text (null where the file has none).</summary>
public sealed record TabularExample(long Line, string Text, string? TextPair, string? Label);
