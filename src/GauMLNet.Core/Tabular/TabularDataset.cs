using System.Globalization;
using System.Text;
using GauMLNet.Clue;

namespace GauMLNet.Tabular;

/// <summary>
/// A whole data file read for training or evaluation: its usable rows, how many bad ones were skipped (when allowed), and the
/// kind of model they make. <see cref="ToClassification"/> and <see cref="ToSimilarity"/> give the example types the GAU
/// pipelines take (<see cref="ClueExample"/> for classification and pairs, <see cref="SimilarityExample"/> for similarity).
/// </summary>
public sealed record TabularDataset(string Path, TabularColumns Columns, IReadOnlyList<TabularExample> Examples, int SkippedBadLines, TabularKind Kind)
{
    /// <param name="columns">the columns to read (a label column is required in every row when <paramref name="requireLabels"/>)</param>
    /// <param name="kind">the kind stated by the user, or null to infer it from the columns and labels</param>
    /// <param name="skipBadLines">count and skip rows that cannot be used instead of failing on the first</param>
    public static TabularDataset Read(string path, TabularColumns columns, TabularKind? kind = null, bool requireLabels = true, bool skipBadLines = false,
        Encoding? encoding = null, bool? hasHeader = null)
    {
        using var reader = TabularReader.Open(path, columns.Named, encoding, hasHeader);
        var resolved = columns.ResolvedIn(reader);
        var examples = new List<TabularExample>();
        int skipped = 0;
        while (true)
        {
            try
            {
                if (reader.Next() is not { } row) break;
                examples.Add(resolved.Read(row, path, requireLabels));
            }
            catch (TabularFormatException) when (skipBadLines)
            {
                skipped++;
            }
        }
        if (examples.Count == 0)
            throw new InvalidDataException($"{path} holds no usable rows{(skipped > 0 ? $" ({skipped} bad row(s) skipped)" : "")}.");
        var labels = examples.Select(e => e.Label).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var inferred = TabularKinds.Infer(resolved.TextPair is not null, labels, kind);
        var dataset = new TabularDataset(path, resolved, examples, skipped, inferred);
        if (inferred == TabularKind.Similarity && requireLabels) dataset = dataset.WithNumericLabels(skipBadLines);
        return dataset;
    }

    /// <summary>Similarity labels must be finite numbers; a row with another label is an error naming its line (or skipped and counted).</summary>
    private TabularDataset WithNumericLabels(bool skipBadLines)
    {
        var kept = new List<TabularExample>(Examples.Count);
        int skipped = SkippedBadLines;
        foreach (var example in Examples)
        {
            if (example.Label is { } label && float.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value))
                kept.Add(example);
            else if (skipBadLines) skipped++;
            else throw new TabularFormatException(Path, example.Line, $"column '{Columns.Label}' is '{example.Label}', not a number (similarity labels are numbers)");
        }
        if (kept.Count == 0) throw new InvalidDataException($"{Path} holds no rows with a numeric label ({skipped} bad row(s) skipped).");
        return this with { Examples = kept, SkippedBadLines = skipped };
    }

    /// <summary>Classification and pair rows as the CLUE pipeline reads them; the id is the row's line.</summary>
    public List<ClueExample> ToClassification() => Examples.Select(ToClueExample).ToList();

    public static ClueExample ToClueExample(TabularExample e) => new()
    {
        Id = e.Line.ToString(CultureInfo.InvariantCulture),
        Sentence1 = e.Text,
        Sentence2 = e.TextPair ?? "",
        Label = e.Label ?? "",
    };

    /// <summary>Similarity rows with their float labels (NaN where the row has none: scored, not trained on).</summary>
    public List<SimilarityExample> ToSimilarity() => Examples.Select(ToSimilarityExample).ToList();

    public static SimilarityExample ToSimilarityExample(TabularExample e) => new()
    {
        Id = e.Line.ToString(CultureInfo.InvariantCulture),
        Sentence1 = e.Text,
        Sentence2 = e.TextPair ?? "",
        Label = e.Label is { } l && float.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : float.NaN,
    };

    /// <summary>
    /// Splits off a dev set: a fraction of the rows drawn by a seeded shuffle (same seed, same file: same split), both parts kept in
    /// file order. At least one row stays on each side.
    /// </summary>
    public (TabularDataset Train, TabularDataset Dev) SplitDev(double fraction, int seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "--dev-fraction must be between 0 and 1 (exclusive).");
        if (Examples.Count < 2) throw new InvalidDataException($"{Path} has {Examples.Count} row(s): too few to split off a dev set.");
        int devCount = Math.Clamp((int)Math.Round(Examples.Count * fraction), 1, Examples.Count - 1);
        var order = Enumerable.Range(0, Examples.Count).ToArray();
        new Random(seed).Shuffle(order);
        var isDev = new bool[Examples.Count];
        foreach (int i in order.Take(devCount)) isDev[i] = true;
        return (this with { Examples = Examples.Where((_, i) => !isDev[i]).ToList() },
                this with { Examples = Examples.Where((_, i) => isDev[i]).ToList(), SkippedBadLines = 0 });
    }
}

/// <summary>One sentence pair with a similarity score, in the shape GauSentenceSimilarity reads (Sentence1, Sentence2, a float Label).</summary>
public sealed class SimilarityExample
{
    public string Id { get; set; } = "";
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
    public float Label { get; set; }
}
