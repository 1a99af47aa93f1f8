using GauMLNet.Storage;

namespace GauMLNet.Tabular;

/// <summary>
/// Puts the outputs of <see cref="TabularScorer.Score"/> run with <see cref="TabularScoringOptions.Shard"/> i/N (i = 0…N-1) back
/// into one file in input order: record k of the input is record k / N of shard k % N. The header (when the shards have one)
/// is written once; the shards must agree on it, and their row counts must be those of one file split this way.
/// </summary>
public static class TabularShards
{
    /// <param name="parts">the shards' outputs in shard order: part i is shard i/N</param>
    public static long Merge(IReadOnlyList<string> parts, string outputPath)
    {
        if (parts.Count < 2) throw new ArgumentException("merging needs the outputs of at least two shards, in shard order (0/N, 1/N, …).");
        var format = TabularFormats.FromPath(outputPath);
        foreach (string part in parts)
            if ((TabularFormats.FromPath(part) == TabularFormat.JsonLines) != (format == TabularFormat.JsonLines))
                throw new ArgumentException($"{part}: the shards and the merged file must all be JSON lines, or all CSV/TSV.");

        var readers = new List<TabularReader>();
        try
        {
            foreach (string part in parts) readers.Add(TabularReader.Open(part, ["1"], hasHeader: false));
            var firsts = readers.Select(r => r.Next()).ToList();
            // gau writes a shard's header when its input had one: its last fields are the prediction columns.
            bool header = format != TabularFormat.JsonLines && firsts[0] is { } f && IsPredictionHeader(f.Fields);
            if (header)
                for (int i = 1; i < parts.Count; i++)
                    if (firsts[i] is not { } other || !other.Fields.SequenceEqual(firsts[0]!.Fields))
                        throw new InvalidDataException($"{parts[i]}: its header differs from {parts[0]}'s; are these shards of one file?");
            var pending = firsts.Select(r => header ? null : r).ToArray();
            long written = 0;
            AtomicFile.Write(outputPath, stream =>
            {
                using var writer = new StreamWriter(stream, TextFiles.StrictUtf8, 1 << 16, leaveOpen: true);
                char separator = format.Separator();
                if (header) TabularScorer.WriteFields(writer, separator, firsts[0]!.Fields);
                for (long k = 0; ; k++)
                {
                    int shard = (int)(k % parts.Count);
                    var row = pending[shard] ?? readers[shard].Next();
                    pending[shard] = null;
                    if (row is null)
                    {
                        // Shard k % N has ended: every later shard must have ended too, and the earlier ones must hold no more rows.
                        for (int i = 0; i < parts.Count; i++)
                            if ((pending[i] ?? readers[i].Next()) is not null)
                                throw new InvalidDataException(
                                    $"{parts[i]} has more rows than a shard {i}/{parts.Count} of a {written}-row file would; are these shards of one file, in shard order?");
                        break;
                    }
                    if (row.Json is { } json) writer.WriteLine(json);
                    else TabularScorer.WriteFields(writer, separator, row.Fields);
                    written++;
                }
            });
            return written;
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    private static bool IsPredictionHeader(IReadOnlyList<string> fields) =>
        new[] { TabularKind.Classification, TabularKind.Similarity }.Select(TabularScorer.PredictionColumns)
            .Any(added => fields.Count >= added.Count && fields.Skip(fields.Count - added.Count).SequenceEqual(added));
}
