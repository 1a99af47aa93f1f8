using System.Globalization;
using System.Text;
using System.Text.Json;
using GauMLNet.Storage;
using nietras.SeparatedValues;

namespace GauMLNet.Tabular;

/// <summary>
/// Reads a CSV, TSV or JSON-lines file one record at a time, in constant memory. CSV/TSV: RFC 4180 quoting (separators, quotes
/// and line breaks inside quoted fields), read by Sep; whether the first row is a header is detected from the columns asked for.
/// Text is decoded strictly (<see cref="TextFiles"/>): undecodable bytes are an error naming the line, never U+FFFD.
/// A malformed record throws <see cref="TabularFormatException"/> from <see cref="Next"/>, and reading can go on after it.
/// </summary>
public sealed class TabularReader : IDisposable
{
    private const int SniffRows = 20;
    private readonly FileStream _stream;
    private readonly StreamReader _text;
    private readonly SepReader? _sep;
    private readonly Queue<TabularRow> _lookahead = new();
    private readonly List<string> _columns = [];
    private readonly Encoding _encoding;
    private long _line; // the last line read

    private TabularReader(string path, TabularFormat format, Encoding encoding)
    {
        Path = path;
        Format = format;
        _encoding = encoding;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        // A BOM is accepted for UTF-8 (as TextFiles does); a legacy encoding is taken as named.
        _text = new StreamReader(_stream, encoding, detectEncodingFromByteOrderMarks: encoding.CodePage == Encoding.UTF8.CodePage, 1 << 16);
        if (format != TabularFormat.JsonLines)
            _sep = Sep.New(format.Separator()).Reader(o => o with { HasHeader = false, Unescape = true, DisableColCountCheck = true }).From(_text);
    }

    public string Path { get; }
    public TabularFormat Format { get; }
    /// <summary>CSV/TSV: whether the first row was taken as the header (JSON lines name their columns in every row).</summary>
    public bool HasHeader { get; private set; }
    /// <summary>CSV/TSV: the header's names, or 1…N when the file has no header; JSON lines: empty.</summary>
    public IReadOnlyList<string> Columns => _columns;
    /// <summary>How far through the file reading is, 0 to 1 (by bytes; for progress).</summary>
    public double Fraction => _stream.Length == 0 ? 1 : Math.Clamp((double)_stream.Position / _stream.Length, 0, 1);

    /// <summary>
    /// Opens a data file. <paramref name="wanted"/> are the columns the caller will read (by name, or by 1-based position); for
    /// CSV/TSV they decide whether the first row is a header when <paramref name="hasHeader"/> is null: it is when it holds every
    /// named column; with positions only, when a column's first cell is not a number though the cells below it are.
    /// </summary>
    public static TabularReader Open(string path, IReadOnlyCollection<string> wanted, Encoding? encoding = null, bool? hasHeader = null)
    {
        var format = TabularFormats.FromPath(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        encoding ??= TextFiles.StrictUtf8;
        TabularReader? reader = null;
        try
        {
            reader = new TabularReader(path, format, encoding); // Sep reads its first block here
            if (format != TabularFormat.JsonLines) reader.ReadHeader(wanted, hasHeader);
            return reader;
        }
        catch (DecoderFallbackException ex)
        {
            reader?.Dispose();
            throw TextFiles.UndecodableError(path, encoding, ex);
        }
        catch
        {
            reader?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The name <paramref name="column"/> has in this file's rows: itself when the header (or a JSON line) has it; a 1-based
    /// position's header name. Throws naming the columns there are when a CSV/TSV file has no such column.
    /// </summary>
    public string Resolve(string column)
    {
        if (Format == TabularFormat.JsonLines || _columns.Contains(column, StringComparer.Ordinal)) return column;
        if (int.TryParse(column, NumberStyles.None, CultureInfo.InvariantCulture, out int position) && position >= 1 && position <= _columns.Count)
            return _columns[position - 1];
        throw new InvalidDataException(
            $"{Path}: there is no column '{column}'; the columns are: {string.Join(", ", _columns.Select(c => $"'{c}'"))}" +
            (HasHeader ? "." : $" (the file has no header row: name columns by position, 1 to {_columns.Count})."));
    }

    /// <summary>The next record, or null at the end of the file. Skips blank lines.</summary>
    public TabularRow? Next()
    {
        if (_lookahead.TryDequeue(out var buffered)) return Check(buffered);
        try
        {
            return Format == TabularFormat.JsonLines ? NextJson() : NextFields() is { } row ? Check(row) : null;
        }
        catch (DecoderFallbackException ex)
        {
            throw TextFiles.UndecodableError(Path, _encoding, ex);
        }
    }

    /// <summary>Every remaining record; a malformed one ends the enumeration with its exception (use <see cref="Next"/> to go on past it).</summary>
    public IEnumerable<TabularRow> Rows()
    {
        while (Next() is { } row) yield return row;
    }

    private TabularRow Check(TabularRow row)
    {
        if (row.Json is null && row.Fields.Count != _columns.Count)
            throw new TabularFormatException(Path, row.Line,
                $"the row has {row.Fields.Count} field(s), the {(HasHeader ? "header has" : "first row has")} {_columns.Count} (is a quote or separator out of place?)");
        return row;
    }

    private TabularRow? NextFields()
    {
        while (_sep!.MoveNext())
        {
            var row = _sep.Current;
            _line = row.LineNumberToExcl - 1;
            if (row.ColCount == 1 && row[0].Span.IsEmpty) continue; // a blank line
            var fields = new string[row.ColCount];
            for (int i = 0; i < fields.Length; i++) fields[i] = row[i].ToString();
            return new TabularRow(row.LineNumberFrom, _columns, fields);
        }
        return null;
    }

    private TabularRow? NextJson()
    {
        while (_text.ReadLine() is { } line)
        {
            _line++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                return new TabularRow(_line, TabularRow.ReadProperties(document.RootElement), line);
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                throw new TabularFormatException(Path, _line, ex is JsonException ? $"not valid JSON ({ex.Message})" : ex.Message, ex);
            }
        }
        return null;
    }

    private void ReadHeader(IReadOnlyCollection<string> wanted, bool? hasHeader)
    {
        var first = NextFields() ?? throw new InvalidDataException($"{Path} holds no rows.");
        while (_lookahead.Count < SniffRows && NextFields() is { } row) _lookahead.Enqueue(row);
        HasHeader = hasHeader ?? LooksLikeHeader(first, wanted);
        if (HasHeader)
        {
            var duplicate = first.Fields.GroupBy(f => f, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new InvalidDataException($"{Path}:{first.Line}: the header names column '{duplicate.Key}' more than once; which one is meant is ambiguous.");
            _columns.AddRange(first.Fields);
        }
        else
        {
            _columns.AddRange(Enumerable.Range(1, first.Fields.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)));
            var rows = _lookahead.ToList();
            _lookahead.Clear();
            _lookahead.Enqueue(first);
            foreach (var row in rows) _lookahead.Enqueue(row);
        }
    }

    // Named columns: the first row is the header when it has them all (or, when some are missing, the header that the error lists).
    // Positions only: a column whose first cell is not a number while those below are (a "score" over 0.8, 0.3, …) marks a header.
    private bool LooksLikeHeader(TabularRow first, IReadOnlyCollection<string> wanted)
    {
        var positions = wanted.Select(w => int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : -1).ToList();
        if (positions.Any(p => p < 1)) return true;
        return positions.Any(p => p <= first.Fields.Count && !IsNumber(first.Fields[p - 1])
            && _lookahead.Count > 0 && _lookahead.All(r => p <= r.Fields.Count && IsNumber(r.Fields[p - 1])));
    }

    private static bool IsNumber(string value) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    public void Dispose()
    {
        _sep?.Dispose();
        _text.Dispose();
    }
}
