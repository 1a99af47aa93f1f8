using GauMLNet.Engines;
using GauMLNet.Entities;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using GauMLNet.Text;
using GauMLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// Fine-tunes GAU-α (or trains it from scratch) to find named entities: per-character BIO tags or CLUENER-style
/// entities in, a <see cref="GauNamedEntityRecognitionTransformer"/> out. Characters are tokens one by one
/// (<see cref="CharacterTokenizer"/>), so entity offsets survive tokenization exactly.
/// </summary>
public sealed class GauNamedEntityRecognitionTrainer : GauFineTuningEstimator<GauNamedEntityRecognitionTransformer>
{
    internal GauNamedEntityRecognitionTrainer(IHostEnvironment env, GauNamedEntityRecognitionOptions options, IGauNetworkBuilder backend)
        : base(env, options, backend)
    {
    }

    // The base's private copy (a record copy keeps the options' type).
    private GauNamedEntityRecognitionOptions NerOptions => (GauNamedEntityRecognitionOptions)Options;

    private protected override string NoTrainingRows => "the training data has no rows.";

    private sealed record Row(string Text, List<Entity> Entities);

    private sealed class Rows(List<Row> rows, string[]? tagNames) : TaskRows
    {
        public List<Row> List { get; } = rows;
        /// <summary>The label's tag names when it is per-character BIO tags; null for entity JSON.</summary>
        public string[]? TagNames { get; } = tagNames;
        public override int Count => List.Count;
        public override IEnumerable<string?> Texts => List.Select(r => (string?)r.Text);
    }

    private protected override TaskRows ReadRows(IDataView data, string what, Action<string> log, CancellationToken token)
    {
        InputColumns.RequireText(data.Schema, [NerOptions.SentenceColumnName], $"{Component} ({what} data)");
        var label = data.Schema.GetColumnOrNull(NerOptions.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(data), $"{Component}: label column '{NerOptions.LabelColumnName}' was not found in the {what} data.");
        var tagNames = EntityLabels.TagNames(label, Component);
        using var cursor = data.GetRowCursor([data.Schema[NerOptions.SentenceColumnName], label]);
        var readText = InputColumns.TextReader(cursor, [NerOptions.SentenceColumnName]);
        var readEntities = EntityLabels.Reader(cursor, label, tagNames);
        var rows = new List<Row>();
        while (cursor.MoveNext())
        {
            if (rows.Count % 4096 == 0) token.ThrowIfCancellationRequested();
            string text = readText()[0] ?? "";
            rows.Add(new Row(text, readEntities(text)));
        }
        return new Rows(rows, tagNames);
    }

    private protected override GauTaskSpec DescribeModel(TaskRows train)
    {
        var rows = (Rows)train;
        var types = NerOptions.EntityTypes?.ToArray()
            ?? rows.List.SelectMany(r => r.Entities).Select(e => e.Type).Concat(rows.TagNames is null ? [] : EntityLabels.TypesOf(rows.TagNames))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (types.Length == 0) throw new InvalidOperationException($"{Component}: the training labels name no entity types.");
        return new GauTaskSpec
        {
            Task = GauTask.TokenClassification,
            TextColumns = [NerOptions.SentenceColumnName],
            LabelColumn = NerOptions.LabelColumnName,
            OutputColumns = rows.TagNames is null ? [NerOptions.PredictedEntitiesColumnName] : [NerOptions.PredictedEntitiesColumnName, NerOptions.PredictedLabelColumnName],
            Outputs = NerOptions.Head == Configuration.EntityHead.GlobalPointer ? types.Length : new BioTags(types).Count,
            EntityHead = NerOptions.Head,
            EntityTypes = types,
            Labels = rows.TagNames is null ? null : EntityLabels.Values(rows.TagNames),
        };
    }

    /// <summary>Characters are tokens one by one; a sentence longer than MaxLength becomes overlapping windows.</summary>
    private protected override List<LabeledExample> ToExamples(TaskRows rows, GauModelSource source, GauTaskSpec spec, string what, Action<string> log)
    {
        var tokenizer = new CharacterTokenizer(source.Tokenizer);
        var tags = new BioTags(spec.EntityTypes!);
        var examples = new List<LabeledExample>();
        int empty = 0, windowed = 0;
        foreach (var row in ((Rows)rows).List)
        {
            var aligned = tokenizer.Encode(row.Text);
            if (aligned.Length == 0) { empty++; continue; }
            var windows = EntityWindows.Examples(aligned, row.Entities, tags, tokenizer.Vocabulary, spec.MaxLength).ToList();
            if (windows.Count > 1) windowed++;
            examples.AddRange(windows);
        }
        if (empty > 0) log($"{Component}: {empty} {what} sentence(s) have no characters to tag and were left out.");
        if (windowed > 0) log($"{Component}: {windowed} {what} sentence(s) were longer than MaxLength and were split into overlapping windows.");
        return examples;
    }

    private protected override GauNamedEntityRecognitionTransformer CreateTransformer(IHostEnvironment env, GauTaskModel model) => new(env, model);

    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        InputColumns.RequireText(inputSchema, [NerOptions.SentenceColumnName], Component);
        var label = inputSchema.LastOrDefault(c => c.Name == NerOptions.LabelColumnName);
        if (label.Name is null) throw new ArgumentOutOfRangeException(nameof(inputSchema), $"{Component}: label column '{NerOptions.LabelColumnName}' was not found.");
        bool tagForm = label.IsKey && label.Kind != SchemaShape.Column.VectorKind.Scalar;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(NerOptions.PredictedEntitiesColumnName, TextDataViewType.Instance);
        if (tagForm)
        {
            // Shapes carry no key values: a placeholder tag set announces the column's key type and its text key values.
            var placeholder = new CharacterTagsColumn(NerOptions.PredictedLabelColumnName, EntityLabels.Values(["O", "B-x", "I-x"]));
            builder.AddColumn(placeholder.Name, placeholder.Type, placeholder.Annotations);
        }
        var added = MLNetInternals.ToSchemaShape(builder.ToSchema());
        var names = added.Select(c => c.Name).ToHashSet();
        return new SchemaShape(inputSchema.Where(c => !names.Contains(c.Name)).Concat(added));
    }
}
