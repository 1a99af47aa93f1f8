using System.Globalization;

namespace GauMLNet.Tabular;

/// <summary>What a model learns from a data file's rows.</summary>
public enum TabularKind
{
    /// <summary>One text, a label (any text: "positive", "3", …).</summary>
    Classification,
    /// <summary>Two texts, a label: do they match, entail, …</summary>
    Pair,
    /// <summary>Two texts, a number: how similar they are (regression, Pearson r).</summary>
    Similarity,
}

public static class TabularKinds
{
    public static TabularKind Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "classification" => TabularKind.Classification,
        "pair" => TabularKind.Pair,
        "similarity" => TabularKind.Similarity,
        _ => throw new ArgumentException($"'{name}' is not a kind of data; use classification, pair or similarity."),
    };

    public static string Name(this TabularKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>
    /// The kind the columns and labels make unambiguous: one text column → classification; two → similarity when the labels are
    /// numbers and some are not whole (0.8, 2.5), else pair (0/1, entailment, …). <paramref name="stated"/> is checked against them.
    /// </summary>
    public static TabularKind Infer(bool hasPair, IReadOnlyCollection<string> labels, TabularKind? stated)
    {
        if (stated is { } kind)
        {
            if (kind == TabularKind.Classification && hasPair)
                throw new ArgumentException("--kind classification reads one text column, but --text-pair-column is given; use --kind pair for sentence pairs.");
            if (kind != TabularKind.Classification && !hasPair)
                throw new ArgumentException($"--kind {kind.Name()} reads two text columns; name the second with --text-pair-column.");
            return kind;
        }
        if (!hasPair) return TabularKind.Classification;
        bool allNumbers = labels.Count > 0 && labels.All(l => float.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v));
        bool someFractional = allNumbers && labels.Any(l => float.Parse(l, NumberStyles.Float, CultureInfo.InvariantCulture) % 1 != 0);
        return someFractional ? TabularKind.Similarity : TabularKind.Pair;
    }
}
