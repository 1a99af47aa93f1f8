using System.CommandLine;
using GauMLNet.Cli.Failures;
using GauMLNet.Tabular;

namespace GauMLNet.Cli.Commands;

/// <summary>The options that say how to read a user's data file (CSV, TSV, JSON lines), shared by train, evaluate and predict.</summary>
internal sealed class DataFileOptions
{
    public Option<string?> Text { get; } = new("--text-column") { Description = "data file: the text column, by header name or 1-based position (default: text, or the model's)" };
    public Option<string?> TextPair { get; } = new("--text-pair-column") { Description = "data file: the second text of a pair (sentence pairs, similarity)" };
    public Option<string?> Label { get; } = new("--label-column") { Description = "data file: the label column (default: label, or the model's)" };
    public Option<string> Header { get; } = new("--header")
    {
        Description = "data file (CSV/TSV): auto (the first row is the header when it names the columns asked for), yes or no",
        DefaultValueFactory = _ => "auto",
    };

    public IEnumerable<Option> All(bool withLabel = true) => withLabel ? [Text, TextPair, Label, Header] : [Text, TextPair, Header];

    /// <summary>Whether any of these options was given (they mean nothing with a CLUE folder).</summary>
    public bool AnyGiven(ParseResult r) => r.GetValue(Text) is not null || r.GetValue(TextPair) is not null || r.GetValue(Label) is not null || r.GetValue(Header) != "auto";

    public bool? HasHeader(ParseResult r) => r.GetValue(Header)!.Trim().ToLowerInvariant() switch
    {
        "auto" => null,
        "yes" or "true" => true,
        "no" or "false" => false,
        var other => throw new UsageException($"--header: '{other}' is not auto, yes or no."),
    };

    /// <summary>A data file named by --data/--input: it must exist and be of a kind GauMLNet reads.</summary>
    public static string RequireFile(string option, string path)
    {
        if (!TabularFormats.IsDataFile(path))
            throw new UsageException($"{option}: {path} is not a .csv, .tsv (.tab) or .jsonl (.ndjson) file.");
        return Arguments.ExistingFile(option, path);
    }

    /// <summary>--data names a data file (not a CLUE folder).</summary>
    public static bool IsDataFile(string path) => !Directory.Exists(path) && TabularFormats.IsDataFile(path);
}
