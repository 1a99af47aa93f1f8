using GauMLNet.Engines;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using GauMLNet.Text;
using GauMLNet.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// Fit for every GAU trainer: check the schema, read and tokenize the rows, build or load the encoder,
/// fine-tune it, and wrap the result in a transformer. Subclasses say which columns they read, how the
/// label becomes a target, and which transformer they return. Fit reads the options and never changes them.
/// Building and training the network is the training backend's (<see cref="IGauNetworkBuilder"/>).
/// </summary>
public abstract class GauFineTuningEstimator<TTransformer> : IEstimator<TTransformer> where TTransformer : GauTransformerBase
{
    private readonly IHostEnvironment _env;
    private readonly GauTrainerOptionsBase _options;
    private readonly IGauNetworkBuilder _backend;

    private protected GauFineTuningEstimator(IHostEnvironment env, GauTrainerOptionsBase options, IGauNetworkBuilder backend)
    {
        _env = env;
        _options = options with { Device = options.Device ?? MLNetInternals.RequestedDevice(env) }; // a private copy: later changes to the caller's object do not leak in
        _backend = backend;
        GauModelLoaders.Register(env.ComponentCatalog);
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

    private protected abstract TTransformer CreateTransformer(IHostEnvironment env, GauTaskModel model);

    private string Component => GetType().Name;

    public TTransformer Fit(IDataView input)
    {
        var token = _options.CancellationToken;
        InputColumns.RequireText(input.Schema, TextColumns, Component);
        var labelColumn = input.Schema.GetColumnOrNull(LabelColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(input), $"{Component}: label column '{LabelColumn}' was not found.");
        var (outputs, labels) = DescribeLabel(labelColumn);
        using var channel = _env.Start("GauMLNet");
        void Log(string message)
        {
            channel.Info(MessageSensitivity.None, message);
            _options.Log?.Invoke(message);
        }

        var trainRows = ReadRows(input, "training", Log, token);
        var validationRows = _options.ValidationSet is { } validation ? ReadRows(validation, "validation", Log, token) : null;
        if (trainRows.Count == 0) throw new InvalidOperationException($"{Component}: the training data has no rows with a label in '{LabelColumn}'.");

        var source = GauModelSource.Resolve(_options.ModelDirectory, _options.Config, _options.VocabPath,
            () => trainRows.SelectMany(r => r.Texts), _options.MaxVocabSize, _options.MinTokenFrequency, m => Log($"{Component}: {m}"));
        if (_options.GradientCheckpointing is { } recompute) source = source.WithConfig(c => c with { GradientCheckpointing = recompute });
        var config = source.Config;
        var spec = new GauTaskSpec
        {
            Task = Task,
            TextColumns = TextColumns,
            LabelColumn = LabelColumn,
            OutputColumns = OutputColumnNames,
            Outputs = outputs,
            MaxLength = _options.MaxLength,
            BatchSize = _options.BatchSize,
            Pooling = _options.Pooling,
            Device = _options.Device!, // resolved at construction
            InferencePrecision = _options.InferencePrecision,
            ForcePrecision = _options.ForceInferencePrecision,
            Labels = labels,
            Metadata = _options.Metadata,
        };

        var train = Encode(source.Tokenizer, trainRows, "training", Log);
        var valid = validationRows is null ? null : Encode(source.Tokenizer, validationRows, "validation", Log);
        Log($"{Component}: {train.Count} training rows, {valid?.Count ?? 0} validation rows, {config.NumHiddenLayers} GAU layers " +
            $"(d {config.HiddenSize}, e {config.IntermediateSize}, s {config.AttentionKeySize}), vocab {config.VocabSize}, device {_options.Device}; {source.Description}");
        return GauFitting.Train(_backend, source, spec, _options, train, valid, Log, model => CreateTransformer(_env, model));
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
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

    private sealed record Row(string?[] Texts, float Label);

    private List<Row> ReadRows(IDataView data, string what, Action<string> log, CancellationToken token)
    {
        InputColumns.RequireText(data.Schema, TextColumns, $"{Component} ({what} data)");
        var label = data.Schema.GetColumnOrNull(LabelColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(data), $"{Component}: label column '{LabelColumn}' was not found in the {what} data.");
        DescribeLabel(label);
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
        return rows;
    }

    private List<LabeledExample> Encode(GauTokenizer tokenizer, List<Row> rows, string what, Action<string> log)
    {
        bool pair = TextColumns.Length == 2;
        var examples = rows.Select(r => new LabeledExample(tokenizer.Encode(r.Texts[0], pair ? r.Texts[1] ?? "" : null, _options.MaxLength), r.Label)).ToList();
        int truncated = examples.Count(e => e.Text.Truncated);
        if (truncated > 0) log($"{Component}: {truncated} of {examples.Count} {what} row(s) exceeded MaxLength {_options.MaxLength} tokens and were truncated.");
        return examples;
    }
}
