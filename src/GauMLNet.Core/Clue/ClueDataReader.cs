using System.Text;
using System.Text.Json;
using GauMLNet.Storage;

namespace GauMLNet.Clue;

/// <summary>A CLUE file that cannot be read, with the file and line at fault.</summary>
public sealed class ClueFormatException(string path, int line, string problem, Exception? inner = null)
    : FormatException($"{path}:{line}: {problem}", inner)
{
    public string Path { get; } = path;
    public int Line { get; } = line;
}

/// <summary>What reading a CLUE file produced: the examples, and how many bad lines were skipped (when allowed).</summary>
public sealed record ClueReadResult(IReadOnlyList<ClueExample> Examples, int SkippedBadLines, int DroppedRows);

/// <summary>Reads CLUE JSON-lines files (train, dev, test: test rows have no label, their id is kept).</summary>
public static class ClueDataReader
{
    /// <param name="skipBadLines">count and skip malformed lines instead of failing on the first</param>
    /// <param name="encoding">the file's encoding (default strict UTF-8, BOM accepted); undecodable bytes are an error naming the line</param>
    public static ClueReadResult Read(string path, ClueTask task, bool requireLabels, bool skipBadLines = false, Encoding? encoding = null)
    {
        var examples = new List<ClueExample>();
        int lineNumber = 0, skipped = 0, dropped = 0;
        foreach (string line in TextFiles.ReadAllLines(path, encoding))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var row = doc.RootElement;
                if (row.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
                if (row.EnumerateObject().GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
                    throw new FormatException($"field '{duplicate.Key}' appears {duplicate.Count()} times; which one is meant is ambiguous");
                var missing = task.RequiredFields.Where(f => !row.TryGetProperty(f, out _)).ToList();
                if (missing.Count > 0)
                    throw new FormatException($"missing field(s) {string.Join(", ", missing.Select(m => $"'{m}'"))} of a {task.Name} row — is this folder another task's data?");
                var example = task.Parse(row);
                if (example is null) { dropped++; continue; }
                if (requireLabels && example.Label.Length == 0) throw new FormatException("the row has no label");
                examples.Add(example);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                if (!skipBadLines) throw new ClueFormatException(path, lineNumber, ex.Message, ex);
                skipped++;
            }
        }
        return new ClueReadResult(examples, skipped, dropped);
    }
}
