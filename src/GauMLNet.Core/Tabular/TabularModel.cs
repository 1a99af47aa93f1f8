using GauMLNet.MLNet;
using Microsoft.ML;

namespace GauMLNet.Tabular;

/// <summary>
/// What a model trained on a data file records about it (gau-task.json "metadata"), so evaluate and predict read the same
/// columns by default, and which kind of rows a fitted model scores.
/// </summary>
public static class TabularModel
{
    public const string KindKey = "data_kind";
    public const string TextColumnKey = "text_column";
    public const string TextPairColumnKey = "text_pair_column";
    public const string LabelColumnKey = "label_column";

    /// <summary>The metadata a model trained on <paramref name="data"/> carries.</summary>
    public static Dictionary<string, string> Metadata(TabularDataset data)
    {
        var metadata = new Dictionary<string, string> { [KindKey] = data.Kind.Name(), [TextColumnKey] = data.Columns.Text };
        if (data.Columns.TextPair is { } pair) metadata[TextPairColumnKey] = pair;
        if (data.Columns.Label is { } label) metadata[LabelColumnKey] = label;
        return metadata;
    }

    /// <summary>The GAU transformer inside a model and the kind of rows it scores (a classifier of one text, of pairs, or a similarity regressor).</summary>
    public static (TabularKind Kind, GauTransformerBase Gau) Inspect(ITransformer model)
    {
        var gau = CluePipeline.GauTransformers(model).FirstOrDefault(t => t is GauTextClassificationTransformer or GauSentenceSimilarityTransformer)
            ?? throw new InvalidDataException("the model holds no GAU text classifier or similarity regressor; it cannot score a data file.");
        var kind = gau is GauSentenceSimilarityTransformer ? TabularKind.Similarity
            : gau.Model.Spec.TextColumns.Length == 2 ? TabularKind.Pair : TabularKind.Classification;
        return (kind, gau);
    }

    /// <summary>
    /// The columns to read: those given, else those the model was trained on (recorded in its metadata), else text, text_pair and
    /// label. <paramref name="withLabel"/>: evaluation reads a label, prediction does not.
    /// </summary>
    public static TabularColumns Columns(GauTransformerBase gau, TabularKind kind, string? text, string? textPair, string? label, bool withLabel)
    {
        var recorded = gau.Model.Spec.Metadata ?? new Dictionary<string, string>();
        string pick(string? given, string key, string fallback) => given ?? recorded.GetValueOrDefault(key) ?? fallback;
        return new TabularColumns(
            pick(text, TextColumnKey, "text"),
            kind == TabularKind.Classification ? null : pick(textPair, TextPairColumnKey, "text_pair"),
            withLabel ? pick(label, LabelColumnKey, "label") : null);
    }
}
