using GauMLNet.Engines;
using GauMLNet.Entities;
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
public sealed class GauNamedEntityRecognitionTrainer : IEstimator<GauNamedEntityRecognitionTransformer>
{
    private readonly IHostEnvironment _env;
    private readonly GauNamedEntityRecognitionOptions _options;
    private readonly IGauNetworkBuilder _backend;

    internal GauNamedEntityRecognitionTrainer(IHostEnvironment env, GauNamedEntityRecognitionOptions options, IGauNetworkBuilder backend)
    {
        _env = env;
        _options = options with { Device = options.Device ?? MLNetInternals.RequestedDevice(env) };
        _backend = backend;
        GauModelLoaders.Register(env.ComponentCatalog);
    }

    private const string Component = nameof(GauNamedEntityRecognitionTrainer);

    public GauNamedEntityRecognitionTransformer Fit(IDataView input)
    {
        var token = _options.CancellationToken;
        using var channel = _env.Start("GauMLNet");
        void Log(string message)
        {
            channel.Info(MessageSensitivity.None, message);
            _options.Log?.Invoke(message);
        }
        var (train, tagNames) = ReadRows(input, "training", token);
        var validation = _options.ValidationSet is { } set ? ReadRows(set, "validation", token).Rows : null;
        if (train.Count == 0) throw new InvalidOperationException($"{Component}: the training data has no rows.");
        var types = _options.EntityTypes?.ToArray()
            ?? train.SelectMany(r => r.Entities).Select(e => e.Type).Concat(tagNames is null ? [] : EntityLabels.TypesOf(tagNames))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (types.Length == 0) throw new InvalidOperationException($"{Component}: the training labels name no entity types.");

        var source = GauModelSource.Resolve(_options.ModelDirectory, _options.Config, _options.VocabPath, () => train.Select(r => (string?)r.Text),
            _options.MaxVocabSize, _options.MinTokenFrequency, m => Log($"{Component}: {m}"));
        if (_options.GradientCheckpointing is { } recompute) source = source.WithConfig(c => c with { GradientCheckpointing = recompute });
        var spec = new GauTaskSpec
        {
            Task = GauTask.TokenClassification,
            TextColumns = [_options.SentenceColumnName],
            LabelColumn = _options.LabelColumnName,
            OutputColumns = tagNames is null ? [_options.PredictedEntitiesColumnName] : [_options.PredictedEntitiesColumnName, _options.PredictedLabelColumnName],
            Outputs = _options.Head == Configuration.EntityHead.GlobalPointer ? types.Length : new BioTags(types).Count,
            MaxLength = _options.MaxLength,
            BatchSize = _options.BatchSize,
            Device = _options.Device!, // resolved at construction
            InferencePrecision = _options.InferencePrecision,
            ForcePrecision = _options.ForceInferencePrecision,
            EntityHead = _options.Head,
            EntityTypes = types,
            Labels = tagNames is null ? null : EntityLabels.Values(tagNames),
            Metadata = _options.Metadata,
        };
        var tokenizer = new CharacterTokenizer(source.Tokenizer);
        var tags = new BioTags(types);
        var trainExamples = Examples(train, tokenizer, tags, "training", Log);
        var validationExamples = validation is null ? null : Examples(validation, tokenizer, tags, "validation", Log);
        Log($"{Component}: {train.Count} training sentences ({trainExamples.Count} windows), {validation?.Count ?? 0} validation sentences, " +
            $"{types.Length} entity types, {_options.Head} head; {source.Description}");

        return GauFitting.Train(_backend, source, spec, _options, trainExamples, validationExamples, Log, model => new GauNamedEntityRecognitionTransformer(_env, model));
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        InputColumns.RequireText(inputSchema, [_options.SentenceColumnName], Component);
        var label = inputSchema.LastOrDefault(c => c.Name == _options.LabelColumnName);
        if (label.Name is null) throw new ArgumentOutOfRangeException(nameof(inputSchema), $"{Component}: label column '{_options.LabelColumnName}' was not found.");
        bool tagForm = label.IsKey && label.Kind != SchemaShape.Column.VectorKind.Scalar;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(_options.PredictedEntitiesColumnName, TextDataViewType.Instance);
        if (tagForm)
        {
            // Shapes carry no key values: a placeholder tag set announces the column's key type and its text key values.
            var placeholder = new CharacterTagsColumn(_options.PredictedLabelColumnName, EntityLabels.Values(["O", "B-x", "I-x"]));
            builder.AddColumn(placeholder.Name, placeholder.Type, placeholder.Annotations);
        }
        var added = MLNetInternals.ToSchemaShape(builder.ToSchema());
        var names = added.Select(c => c.Name).ToHashSet();
        return new SchemaShape(inputSchema.Where(c => !names.Contains(c.Name)).Concat(added));
    }

    private sealed record Row(string Text, List<Entity> Entities);

    private (List<Row> Rows, string[]? TagNames) ReadRows(IDataView data, string what, CancellationToken token)
    {
        InputColumns.RequireText(data.Schema, [_options.SentenceColumnName], $"{Component} ({what} data)");
        var label = data.Schema.GetColumnOrNull(_options.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(data), $"{Component}: label column '{_options.LabelColumnName}' was not found in the {what} data.");
        var tagNames = EntityLabels.TagNames(label, Component);
        using var cursor = data.GetRowCursor([data.Schema[_options.SentenceColumnName], label]);
        var readText = InputColumns.TextReader(cursor, [_options.SentenceColumnName]);
        var readEntities = EntityLabels.Reader(cursor, label, tagNames);
        var rows = new List<Row>();
        while (cursor.MoveNext())
        {
            if (rows.Count % 4096 == 0) token.ThrowIfCancellationRequested();
            string text = readText()[0] ?? "";
            rows.Add(new Row(text, readEntities(text)));
        }
        return (rows, tagNames);
    }

    private List<LabeledExample> Examples(List<Row> rows, CharacterTokenizer tokenizer, BioTags tags, string what, Action<string> log)
    {
        var examples = new List<LabeledExample>();
        int empty = 0, windowed = 0;
        foreach (var row in rows)
        {
            var aligned = tokenizer.Encode(row.Text);
            if (aligned.Length == 0) { empty++; continue; }
            var windows = EntityWindows.Examples(aligned, row.Entities, tags, tokenizer.Vocabulary, _options.MaxLength).ToList();
            if (windows.Count > 1) windowed++;
            examples.AddRange(windows);
        }
        if (empty > 0) log($"{Component}: {empty} {what} sentence(s) have no characters to tag and were left out.");
        if (windowed > 0) log($"{Component}: {windowed} {what} sentence(s) were longer than MaxLength and were split into overlapping windows.");
        return examples;
    }
}
