using GauMLNet.MLNet;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Serving;

/// <summary>What a pipeline computed for a batch: one output vector per row, the pipeline's predicted label per row
/// (classification, when a MapKeyToValue turned it into text) and the tokens each row was read as (when known).</summary>
internal sealed record PipelineOutput(float[][] Values, string[]? Labels, int[]? Tokens);

/// <summary>
/// A saved ML.NET pipeline served whole: each gathered batch becomes one <see cref="BatchInputView"/> and runs through
/// every transform, as <c>model.Transform</c> would; the GAU transformer's output column (and the predicted label, when a
/// later transform made it text) is read from the pipeline's end. Built once at load, where every column it needs is
/// checked, so a pipeline that cannot be served fails then, not on a request.
/// </summary>
internal sealed class GauServingPipeline
{
    private readonly ITransformer[] _transforms;
    private readonly DataViewSchema _inputSchema;
    private readonly int[] _textColumns;
    private readonly string _outputColumn;
    private readonly bool _scalarOutput;
    private readonly string? _labelColumn;
    private readonly GauTaskModel? _encoder;
    private readonly string[] _encoderTextColumns;

    private GauServingPipeline(ITransformer[] transforms, DataViewSchema inputSchema, int[] textColumns, string outputColumn, bool scalarOutput,
        string? labelColumn, GauTaskModel? encoder, string[] encoderTextColumns, IReadOnlyList<string> description)
    {
        _transforms = transforms;
        _inputSchema = inputSchema;
        _textColumns = textColumns;
        _outputColumn = outputColumn;
        _scalarOutput = scalarOutput;
        _labelColumn = labelColumn;
        _encoder = encoder;
        _encoderTextColumns = encoderTextColumns;
        Description = description;
    }

    /// <summary>The transforms in order, by type name (the GAU one included).</summary>
    public IReadOnlyList<string> Description { get; }

    /// <summary>Every transformer of a (nested) chain, in the order Transform runs them.</summary>
    public static List<ITransformer> Flatten(ITransformer model) => model switch
    {
        GauTransformerBase gau => [gau],
        IEnumerable<ITransformer> chain => [.. chain.SelectMany(Flatten)],
        _ => [model],
    };

    /// <summary>
    /// The pipeline around <paramref name="gauIndex"/>'s GAU transformer, which scores with <paramref name="served"/>. When
    /// <paramref name="served"/> is the encoder of another task (<see cref="GauScoringOptions.Task"/> = Embedding), the
    /// transforms before the GAU run and those after it (which read the task head's outputs) are dropped.
    /// </summary>
    public static GauServingPipeline Create(string path, List<ITransformer> transforms, int gauIndex, GauTaskModel served, DataViewSchema? inputSchema,
        GauScoringOptions options)
    {
        if (inputSchema is null)
            throw new InvalidDataException($"{path} was saved without its input schema; a pipeline of {transforms.Count} transforms needs it to be served (save with mlContext.Model.Save(model, data.Schema, path)).");
        var gau = (GauTransformerBase)transforms[gauIndex];
        var spec = served.Spec;
        int[] textColumns = InputTextColumns(path, inputSchema, gau.Model.Spec.TextColumns, options.InputColumnNames);
        var names = transforms.Select(t => t.GetType().Name).ToList();

        if (spec.Task != gau.Model.Spec.Task) // an encoder served from a task model: the transforms before the GAU, then the encoder directly
        {
            var before = transforms.Take(gauIndex).ToArray();
            var schema = Schema(path, before, inputSchema);
            foreach (string name in spec.TextColumns)
                if (schema.GetColumnOrNull(name) is not { Type: TextDataViewType })
                    throw new InvalidDataException($"{path}: the transforms before the GAU transformer leave no text column '{name}' for it to read.");
            return new GauServingPipeline(before, inputSchema, textColumns, spec.OutputColumns[0], scalarOutput: false, labelColumn: null, served,
                spec.TextColumns, [.. names.Take(gauIndex), "GAU encoder (embedding)"]);
        }

        var all = transforms.ToArray();
        if (!ReferenceEquals(gau.Model, served)) all[gauIndex] = gau.WithModel(served); // the engine, device or threads asked for
        var output = Schema(path, all, inputSchema);
        string outputColumn = spec.OutputColumns[0];
        var column = output.GetColumnOrNull(outputColumn)
            ?? throw new InvalidDataException($"{path}: the pipeline's output has no column '{outputColumn}' (the GAU transformer's output; a later transform dropped or renamed it).");
        bool scalar = column.Type == NumberDataViewType.Single;
        if (!scalar && !(column.Type is VectorDataViewType { ItemType: var item, Size: > 0 } && item == NumberDataViewType.Single))
            throw new InvalidDataException($"{path}: the pipeline's output column '{outputColumn}' is {column.Type}, not the GAU transformer's float output.");
        string? label = spec.Task == GauTask.Classification && spec.OutputColumns.Length > 1
            && output.GetColumnOrNull(spec.OutputColumns[1]) is { Type: TextDataViewType } labelColumn ? labelColumn.Name : null;
        return new GauServingPipeline(all, inputSchema, textColumns, outputColumn, scalar, label, encoder: null, [], names);
    }

    /// <summary>Scores a batch of rows through every transform.</summary>
    public PipelineOutput Score(IReadOnlyList<GauInput> rows, int batchSize)
    {
        IDataView view = new BatchInputView(_inputSchema, _textColumns, rows);
        foreach (var transform in _transforms) view = transform.Transform(view);
        if (_encoder is not null) return Encode(view, rows.Count, batchSize);

        var values = new float[rows.Count][];
        var labels = _labelColumn is null ? null : new string[rows.Count];
        var output = view.Schema[_outputColumn];
        var needed = _labelColumn is null ? [output] : new[] { output, view.Schema[_labelColumn] };
        using var cursor = view.GetRowCursor(needed);
        var vector = _scalarOutput ? null : cursor.GetGetter<VBuffer<float>>(output);
        var scalar = _scalarOutput ? cursor.GetGetter<float>(output) : null;
        var label = _labelColumn is null ? null : cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema[_labelColumn]);
        VBuffer<float> buffer = default;
        float one = 0;
        ReadOnlyMemory<char> text = default;
        int row = 0;
        while (cursor.MoveNext())
        {
            if (vector is not null)
            {
                vector(ref buffer);
                values[row] = buffer.DenseValues().ToArray();
            }
            else
            {
                scalar!(ref one);
                values[row] = [one];
            }
            if (label is not null)
            {
                label(ref text);
                labels![row] = text.ToString();
            }
            row++;
        }
        if (row != rows.Count) throw new InvalidOperationException($"The pipeline returned {row} rows for {rows.Count}; a filtering transform cannot be served per request.");
        return new PipelineOutput(values, labels, null);
    }

    // The encoder-only path: the prefix's text columns, tokenized once, scored by the encoder.
    private PipelineOutput Encode(IDataView view, int count, int batchSize)
    {
        var texts = new string?[count][];
        var columns = _encoderTextColumns.Select(c => view.Schema[c]).ToArray();
        using var cursor = view.GetRowCursor(columns);
        var getters = columns.Select(c => cursor.GetGetter<ReadOnlyMemory<char>>(c)).ToArray();
        ReadOnlyMemory<char> text = default;
        int row = 0;
        while (cursor.MoveNext())
        {
            if (row >= count) break;
            texts[row] = new string?[getters.Length];
            for (int c = 0; c < getters.Length; c++)
            {
                getters[c](ref text);
                texts[row][c] = text.ToString();
            }
            row++;
        }
        if (row != count) throw new InvalidOperationException($"The pipeline returned {row} rows for {count}; a filtering transform cannot be served per request.");
        var encoded = _encoder!.Encode(texts, out _);
        return new PipelineOutput(_encoder.Score(encoded, batchSize, out _), null, [.. encoded.Select(e => e.Length)]);
    }

    private static DataViewSchema Schema(string path, IEnumerable<ITransformer> transforms, DataViewSchema input)
    {
        var schema = input;
        foreach (var transform in transforms)
        {
            try
            {
                schema = transform.GetOutputSchema(schema);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}: the pipeline's {transform.GetType().Name} cannot read the saved input: {ex.Message}", ex);
            }
        }
        return schema;
    }

    private static int[] InputTextColumns(string path, DataViewSchema input, string[] gauColumns, string[]? asked)
    {
        string Describe() => string.Join(", ", input.Select(c => $"{c.Name} ({c.Type})"));
        int TextColumn(string name) => input.GetColumnOrNull(name) is { Type: TextDataViewType } column
            ? column.Index
            : throw new InvalidDataException($"{path}: the pipeline's input has no text column '{name}' (its input: {Describe()}).");
        if (asked is { Length: > 0 })
        {
            if (asked.Length != gauColumns.Length)
                throw new ArgumentException($"InputColumnNames names {asked.Length} column(s); the model reads {gauColumns.Length} text(s) per row.");
            return [.. asked.Select(TextColumn)];
        }
        if (gauColumns.All(c => input.GetColumnOrNull(c) is { Type: TextDataViewType })) return [.. gauColumns.Select(TextColumn)];
        var texts = input.Where(c => c.Type is TextDataViewType && !c.IsHidden).ToArray();
        if (texts.Length == gauColumns.Length) return [.. texts.Select(c => c.Index)];
        throw new InvalidDataException(
            $"{path}: cannot tell which of the pipeline's input columns receive the request's text (its input: {Describe()}); set GauScoringOptions.InputColumnNames.");
    }
}
