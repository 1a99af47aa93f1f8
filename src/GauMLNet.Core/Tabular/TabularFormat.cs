namespace GauMLNet.Tabular;

/// <summary>The kinds of data file a user brings: comma- or tab-separated values (RFC 4180 quoting), or one JSON object per line.</summary>
public enum TabularFormat
{
    Csv,
    Tsv,
    JsonLines,
}

public static class TabularFormats
{
    /// <summary>The format a file's extension names: .csv, .tsv/.tab, .jsonl/.ndjson.</summary>
    public static TabularFormat FromPath(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => TabularFormat.Csv,
        ".tsv" or ".tab" => TabularFormat.Tsv,
        ".jsonl" or ".ndjson" => TabularFormat.JsonLines,
        var other => throw new ArgumentException(
            $"{path}: '{(other.Length == 0 ? "no extension" : other)}' is not a data file kind GauMLNet reads; use .csv, .tsv (or .tab) or .jsonl (or .ndjson)."),
    };

    /// <summary>Whether <paramref name="path"/> names a file of a kind <see cref="FromPath"/> knows.</summary>
    public static bool IsDataFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".csv" or ".tsv" or ".tab" or ".jsonl" or ".ndjson";

    public static char Separator(this TabularFormat format) => format == TabularFormat.Tsv ? '\t' : ',';
}
