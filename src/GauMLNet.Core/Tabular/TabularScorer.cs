using System.Globalization;
using System.Text;
using System.Text.Json;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using Microsoft.ML;

namespace GauMLNet.Tabular;

/// <summary>What a scoring run did: rows scored, bad rows skipped (when allowed), and how long it took.</summary>
public sealed record TabularScoringResult(long Rows, long SkippedBadLines, double Seconds)
{
    public double RowsPerSecond => Seconds > 0 ? Rows / Seconds : 0;
}

/// <summary>Settings of <see cref="TabularScorer.Score"/>.</summary>
public sealed record TabularScoringOptions
{
    public Encoding? Encoding { get; init; }
    /// <summary>Whether the input's first row is a header; null detects it (<see cref="TabularReader.Open"/>).</summary>
    public bool? HasHeader { get; init; }
    /// <summary>Count and leave out rows that cannot be scored instead of failing on the first (and writing nothing).</summary>
    public bool SkipBadLines { get; init; }
    /// <summary>Rows handed to the model at a time: memory is bounded by this, not by the file.</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>Called after each batch with the rows written so far and the fraction of the input read.</summary>
    public Action<long, double>? Progress { get; init; }
    public CancellationToken CancellationToken { get; init; }
    /// <summary>
    /// Score only shard <c>Index</c> of <c>Count</c>: the records whose 0-based position in the file (header and blank lines not
    /// counted) modulo Count is Index. <see cref="TabularShards.Merge"/> puts the shards' outputs back in input order.
    /// Not with <see cref="SkipBadLines"/>: a left-out row would shift the merge.
    /// </summary>
    public (int Index, int Count)? Shard { get; init; }
}

/// <summary>
/// Scores a data file into another, streaming: rows are read, scored and written a batch at a time (constant memory whatever the
/// file's size), in input order, each with its input columns unchanged and the prediction columns added — predicted_label and
/// probability for a classifier, score for a similarity model. The output is written to a temporary file and renamed only when
/// complete (<see cref="AtomicFile"/>): a failed or killed run leaves no partial output.
/// </summary>
public static class TabularScorer
{
    public const string PredictedLabelColumn = "predicted_label";
    public const string ProbabilityColumn = "probability";
    public const string ScoreColumn = "score";

    public static IReadOnlyList<string> PredictionColumns(TabularKind kind) =>
        kind == TabularKind.Similarity ? [ScoreColumn] : [PredictedLabelColumn, ProbabilityColumn];

    public static TabularScoringResult Score(MLContext ml, ITransformer model, string inputPath, TabularColumns columns, string outputPath,
        TabularScoringOptions? options = null)
    {
        options ??= new TabularScoringOptions();
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "The batch size must be at least 1.");
        if (options.Shard is { } shard)
        {
            if (shard.Count < 1 || shard.Index < 0 || shard.Index >= shard.Count)
                throw new ArgumentException($"--shard {shard.Index}/{shard.Count}: the shard index must be 0 to {shard.Count - 1}.");
            if (options.SkipBadLines) throw new ArgumentException("--shard does not combine with --skip-bad-lines: a left-out row would put the merged rows out of order.");
        }
        var (kind, gau) = TabularModel.Inspect(model);
        var inputFormat = TabularFormats.FromPath(inputPath);
        var outputFormat = TabularFormats.FromPath(outputPath);
        if ((inputFormat == TabularFormat.JsonLines) != (outputFormat == TabularFormat.JsonLines))
            throw new ArgumentException($"{outputPath}: scoring {inputFormat} input writes {(inputFormat == TabularFormat.JsonLines ? ".jsonl" : ".csv or .tsv")} output, so that every input column is kept as it was.");
        if (string.Equals(Path.GetFullPath(inputPath), Path.GetFullPath(outputPath), StringComparison.Ordinal))
            throw new ArgumentException($"{outputPath}: the output would replace the input; write to another file.");

        using var reader = TabularReader.Open(inputPath, columns.Named, options.Encoding, options.HasHeader);
        var resolved = columns.ResolvedIn(reader);
        var added = PredictionColumns(kind);
        if (reader.HasHeader && added.FirstOrDefault(c => reader.Columns.Contains(c, StringComparer.Ordinal)) is { } clash)
            throw new InvalidDataException($"{inputPath} already has a column '{clash}', which the predictions would add; rename it in the input.");
        string scoreColumn = gau.Model.Spec.OutputColumns[0];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long rows = 0, skipped = 0, position = -1;

        AtomicFile.Write(outputPath, stream =>
        {
            using var writer = new StreamWriter(stream, TextFiles.StrictUtf8, 1 << 16, leaveOpen: true);
            char separator = outputFormat.Separator();
            if (outputFormat != TabularFormat.JsonLines && reader.HasHeader)
                WriteFields(writer, separator, [.. reader.Columns, .. added]);
            var batch = new List<(TabularRow Row, TabularExample Example)>(options.BatchSize);
            while (true)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                TabularRow? row;
                try
                {
                    row = reader.Next();
                    if (row is not null && options.Shard is { } part && ++position % part.Count != part.Index) continue; // another shard's row
                    if (row is not null) batch.Add((row, resolved.Read(row, inputPath, requireLabel: false)));
                }
                catch (TabularFormatException) when (options.SkipBadLines)
                {
                    skipped++;
                    continue;
                }
                if (batch.Count == options.BatchSize || (row is null && batch.Count > 0))
                {
                    var predictions = Predict(ml, model, kind, scoreColumn, batch);
                    for (int i = 0; i < batch.Count; i++)
                    {
                        if (outputFormat == TabularFormat.JsonLines) writer.WriteLine(WithProperties(batch[i].Row, added, predictions[i], inputPath));
                        else WriteFields(writer, separator, [.. batch[i].Row.Fields, .. predictions[i]]);
                    }
                    rows += batch.Count;
                    batch.Clear();
                    options.Progress?.Invoke(rows, reader.Fraction);
                }
                if (row is null) break;
            }
        });
        return new TabularScoringResult(rows, skipped, clock.Elapsed.TotalSeconds);
    }

    // One Transform per batch: the GAU transformer tokenizes and scores the batch's rows together; values come back in row order.
    private static List<string[]> Predict(MLContext ml, ITransformer model, TabularKind kind, string scoreColumn, List<(TabularRow Row, TabularExample Example)> batch)
    {
        IDataView input = kind == TabularKind.Similarity
            ? ml.Data.LoadFromEnumerable(batch.Select(b => TabularDataset.ToSimilarityExample(b.Example with { Label = null })))
            : ml.Data.LoadFromEnumerable(batch.Select(b => TabularDataset.ToClueExample(b.Example with { Label = null })));
        var scored = model.Transform(input);
        var score = scored.Schema[scoreColumn];
        var results = new List<string[]>(batch.Count);
        if (kind == TabularKind.Similarity)
        {
            using var cursor = scored.GetRowCursor([score]);
            var get = cursor.GetGetter<float>(score);
            float value = 0;
            while (cursor.MoveNext())
            {
                get(ref value);
                results.Add([value.ToString("R", CultureInfo.InvariantCulture)]);
            }
        }
        else
        {
            var (predicted, probabilities) = CluePipeline.ReadPredictions(scored, scoreColumn);
            for (int i = 0; i < predicted.Count; i++)
                results.Add([predicted[i], probabilities[i].Max().ToString("R", CultureInfo.InvariantCulture)]);
        }
        if (results.Count != batch.Count) throw new InvalidOperationException($"the model returned {results.Count} predictions for {batch.Count} rows.");
        return results;
    }

    /// <summary>One CSV/TSV record: a field is quoted (quotes doubled) when it holds the separator, a quote or a line break (RFC 4180).</summary>
    internal static void WriteFields(TextWriter writer, char separator, IReadOnlyList<string> fields)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0) writer.Write(separator);
            string field = fields[i];
            if (field.AsSpan().IndexOfAny([separator, '"', '\n', '\r']) < 0) writer.Write(field);
            else
            {
                writer.Write('"');
                writer.Write(field.Replace("\"", "\"\"", StringComparison.Ordinal));
                writer.Write('"');
            }
        }
        writer.Write("\r\n");
    }

    // The input object as written, with the predictions appended as properties (a number as a JSON number).
    private static string WithProperties(TabularRow row, IReadOnlyList<string> names, string[] values, string path)
    {
        string json = row.Json!.Trim(); // an object: TabularRow.ReadProperties refused anything else
        foreach (string name in names)
            if (row.Columns.Contains(name, StringComparer.Ordinal))
                throw new InvalidDataException($"{path}:{row.Line}: the row already has a property '{name}', which the predictions would add; rename it in the input."); // not a bad row to skip
        var builder = new StringBuilder(json, 0, json.Length - 1, json.Length + 64);
        bool empty = json.AsSpan(1, json.Length - 2).Trim().IsEmpty;
        for (int i = 0; i < names.Count; i++)
        {
            if (!empty || i > 0) builder.Append(',');
            builder.Append(JsonSerializer.Serialize(names[i])).Append(':');
            builder.Append(names[i] == PredictedLabelColumn ? JsonSerializer.Serialize(values[i])
                : double.TryParse(values[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double number) && double.IsFinite(number) ? values[i] : "null");
        }
        return builder.Append('}').ToString();
    }
}
