namespace GauMLNet.Tabular;

/// <summary>A row of a data file that cannot be used, with the file and line at fault ("reviews.csv:12: column 'label' is empty").</summary>
public sealed class TabularFormatException(string path, long line, string problem, Exception? inner = null)
    : FormatException($"{path}:{line}: {problem}", inner)
{
    public string Path { get; } = path;
    public long Line { get; } = line;
    public string Problem { get; } = problem;
}
