using GauMLNet.Engines;
using GauMLNet.Tasks;
using GauMLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// The hooks of the sequence trainers (classification, sentence pairs, similarity): one or two text columns and a
/// label per row, each row one example. Subclasses say which columns they read, how the label becomes a target, and
/// which transformer they return.
/// </summary>
public abstract class GauSequenceTrainer<TTransformer> : GauFineTuningEstimator<TTransformer> where TTransformer : GauTransformerBase
{
    private protected GauSequenceTrainer(IHostEnvironment env, GauTrainerOptionsBase options, IGauNetworkBuilder backend)
        : base(env, options, backend)
    {
    }

    private protected abstract string[] TextColumns { get; }
    private protected abstract string LabelColumn { get; }
    private protected abstract GauTask Task { get; }
    private protected abstract string[] OutputColumnNames { get; }

    /// <summary>Checks the label column and returns the number of head outputs and the label's values.</summary>
    private protected abstract (int Outputs, LabelValues? Labels) DescribeLabel(DataViewSchema.Column label);

    /// <summary>The label's target for the current row, or null to skip the row (missing label).</summary>
    private protected abstract Func<float?> LabelReader(DataViewRow row, DataViewSchema.Column label);

    /// <summary>Checks the label's shape; returns placeholder label values when the label announces key values.</summary>
    private protected abstract LabelValues? CheckLabel(SchemaShape.Column label);

    private protected abstract IReadOnlyList<GauOutputColumn> OutputColumnsFor(GauTaskSpec spec);

    private protected override string NoTrainingRows => $"the training data has no rows with a label in '{LabelColumn}'.";

    private sealed record Row(string?[] Texts, float Label);

    private sealed class Rows(List<Row> rows, int outputs, LabelValues? labels) : TaskRows
    {
        public List<Row> List { get; } = rows;
        public int Outputs { get; } = outputs;
        public LabelValues? Labels { get; } = labels;
        public override int Count => List.Count;
        public override IEnumerable<string?> Texts => List.SelectMany(r => r.Texts);
    }

    private protected override TaskRows ReadRows(IDataView data, string what, Action<string> log, CancellationToken token)
    {
        InputColumns.RequireText(data.Schema, TextColumns, what == "training" ? Component : $"{Component} ({what} data)");
        var label = data.Schema.GetColumnOrNull(LabelColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(data), what == "training"
                ? $"{Component}: label column '{LabelColumn}' was not found."
                : $"{Component}: label column '{LabelColumn}' was not found in the {what} data.");
        var (outputs, labels) = DescribeLabel(label);
        using var cursor = data.GetRowCursor(TextColumns.Select(n => data.Schema[n]).Append(label));
        var readText = InputColumns.TextReader(cursor, TextColumns);
        var readLabel = LabelReader(cursor, label);
        var rows = new List<Row>();
        int skipped = 0;
        while (cursor.MoveNext())
        {
            if (rows.Count % 4096 == 0) token.ThrowIfCancellationRequested();
            if (readLabel() is { } target) rows.Add(new Row(readText(), target));
            else skipped++;
        }
        if (skipped > 0) log($"{Component}: skipped {skipped} {what} row(s) with a missing label in '{LabelColumn}'.");
        return new Rows(rows, outputs, labels);
    }

    private protected override GauTaskSpec DescribeModel(TaskRows train)
    {
        var rows = (Rows)train;
        return new GauTaskSpec
        {
            Task = Task,
            TextColumns = TextColumns,
            LabelColumn = LabelColumn,
            OutputColumns = OutputColumnNames,
            Outputs = rows.Outputs,
            Pooling = Options.Pooling,
            Labels = rows.Labels,
        };
    }

    private protected override List<LabeledExample> ToExamples(TaskRows rows, GauModelSource source, GauTaskSpec spec, string what, Action<string> log)
    {
        bool pair = TextColumns.Length == 2;
        var examples = ((Rows)rows).List.Select(r => new LabeledExample(source.Tokenizer.Encode(r.Texts[0], pair ? r.Texts[1] ?? "" : null, spec.MaxLength), r.Label)).ToList();
        int truncated = examples.Count(e => e.Text.Truncated);
        if (truncated > 0) log($"{Component}: {truncated} of {examples.Count} {what} row(s) exceeded MaxLength {spec.MaxLength} tokens and were truncated.");
        return examples;
    }

    public override SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        InputColumns.RequireText(inputSchema, TextColumns, Component);
        var label = inputSchema.LastOrDefault(c => c.Name == LabelColumn);
        if (label.Name is null) throw new ArgumentOutOfRangeException(nameof(inputSchema), $"{Component}: label column '{LabelColumn}' was not found.");
        var labels = CheckLabel(label);
        // Shapes carry no sizes or key values: describe the new columns with placeholder counts and values.
        var placeholder = new GauTaskSpec { Task = Task, TextColumns = TextColumns, OutputColumns = OutputColumnNames, Outputs = 2, Labels = labels };
        var builder = new DataViewSchema.Builder();
        foreach (var column in OutputColumnsFor(placeholder)) builder.AddColumn(column.Name, column.Type, column.Annotations);
        var added = MLNetInternals.ToSchemaShape(builder.ToSchema());
        var names = added.Select(c => c.Name).ToHashSet();
        return new SchemaShape(inputSchema.Where(c => !names.Contains(c.Name)).Concat(added));
    }
}
