using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// A probability-averaging ensemble's last step: the mean of several classifiers' Score columns (the same classes in the
/// same order, each under its own name in one chain) into Score, and the most probable class, as text, into
/// PredictedLabel. Row by row, so it serves through PredictionEngine; saved with the model (its columns and classes).
/// </summary>
public sealed class ScoreAverageTransformer : ITransformer
{
    internal static readonly GauModelVersion ModelVersion = new("GAUSCAVG", 0x00010001, "GauScoreAverage");
    public const string ScoreColumnName = "Score", PredictedLabelColumnName = "PredictedLabel";

    internal ScoreAverageTransformer(IReadOnlyList<string> scoreColumns, IReadOnlyList<string> classes)
    {
        if (scoreColumns.Count == 0) throw new ArgumentException("Give at least one score column.", nameof(scoreColumns));
        if (classes.Count == 0) throw new ArgumentException("Give at least one class.", nameof(classes));
        ScoreColumns = scoreColumns.ToArray();
        Classes = classes.ToArray();
    }

    /// <summary>The averaged columns, in the order of the chain.</summary>
    public IReadOnlyList<string> ScoreColumns { get; }
    /// <summary>The classes, in the order of the score vectors' slots.</summary>
    public IReadOnlyList<string> Classes { get; }

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        foreach (string name in ScoreColumns) RequireScore(inputSchema, name, Classes.Count);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        var slotNames = new DataViewSchema.Annotations.Builder();
        GauOutputColumn.AddSlotNames(slotNames, Classes.Select(c => c.AsMemory()).ToArray());
        builder.AddColumn(ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, Classes.Count), slotNames.ToAnnotations());
        builder.AddColumn(PredictedLabelColumnName, TextDataViewType.Instance);
        return builder.ToSchema();
    }

    /// <summary>Checks that <paramref name="name"/> is a float vector of <paramref name="classes"/> slots (any size when 0).</summary>
    internal static int RequireScore(DataViewSchema schema, string name, int classes)
    {
        if (schema.GetColumnOrNull(name) is not { } column)
            throw new ArgumentOutOfRangeException(nameof(schema), $"The score column '{name}' is not in the input.");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType number, Size: > 0 } vector || number != NumberDataViewType.Single || (classes > 0 && vector.Size != classes))
            throw new ArgumentOutOfRangeException(nameof(schema), $"The score column '{name}' is {column.Type}, not a vector of {(classes > 0 ? classes.ToString() : "known size of")} floats.");
        return vector.Size;
    }

    public IDataView Transform(IDataView input) => new MappedView(this, input);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        var writer = MLNetInternals.BeginSave(ctx, ModelVersion);
        writer.Write(JsonSerializer.Serialize(new Saved(ScoreColumns.ToArray(), Classes.ToArray())));
    }

    internal static ScoreAverageTransformer CreateFromModel(IHostEnvironment env, object modelLoadContext)
    {
        var reader = MLNetInternals.BeginLoad(modelLoadContext, ModelVersion);
        Saved? saved;
        try { saved = JsonSerializer.Deserialize<Saved>(reader.ReadString()); }
        catch (JsonException ex) { throw new InvalidDataException($"The {ModelVersion.LoaderSignature} entry is not valid JSON: {ex.Message}", ex); }
        if (saved?.ScoreColumns is not { Length: > 0 } columns || saved.Classes is not { Length: > 0 } classes)
            throw new InvalidDataException($"The {ModelVersion.LoaderSignature} entry names no score columns or no classes.");
        return new ScoreAverageTransformer(columns, classes);
    }

    private sealed record Saved(string[] ScoreColumns, string[] Classes);

    // The mean of the score vectors of one row, and the index of its largest slot (the first on ties).
    private sealed class RowAverage(ScoreAverageTransformer owner, DataViewRow input, DataViewSchema inputSchema)
    {
        private readonly ValueGetter<VBuffer<float>>[] _scores = owner.ScoreColumns.Select(n => input.GetGetter<VBuffer<float>>(inputSchema[n])).ToArray();
        private readonly float[] _mean = new float[owner.Classes.Count];
        private long _position = -1;
        private int _best;
        private VBuffer<float> _buffer;

        public (float[] Mean, int Best) Current()
        {
            if (_position == input.Position && _position >= 0) return (_mean, _best);
            Array.Clear(_mean);
            foreach (var getter in _scores)
            {
                getter(ref _buffer);
                int slot = 0;
                foreach (float value in _buffer.DenseValues()) _mean[slot++] += value / _scores.Length;
            }
            _best = 0;
            for (int i = 1; i < _mean.Length; i++) if (_mean[i] > _mean[_best]) _best = i;
            _position = input.Position;
            return (_mean, _best);
        }

        public Delegate Getter(int output) => output == 0
            ? (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => value = new VBuffer<float>(_mean.Length, (float[])Current().Mean.Clone()))
            : (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = owner.Classes[Current().Best].AsMemory());
    }

    private sealed class Mapper(ScoreAverageTransformer owner, DataViewSchema inputSchema) : IRowToRowMapper
    {
        private ScoreAverageTransformer Owner => owner;
        public DataViewSchema InputSchema { get; } = inputSchema;
        public DataViewSchema OutputSchema { get; } = owner.GetOutputSchema(inputSchema);

        public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        {
            var indices = new HashSet<int>();
            foreach (var column in dependingColumns)
            {
                if (column.Index < InputSchema.Count) indices.Add(column.Index);
                else foreach (string name in owner.ScoreColumns) indices.Add(InputSchema[name].Index);
            }
            return indices.Order().Select(i => InputSchema[i]);
        }

        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) => new Row(this, input, activeColumns.Select(c => c.Index).ToHashSet());

        private sealed class Row(Mapper mapper, DataViewRow input, HashSet<int> active) : DataViewRow
        {
            private RowAverage? _average;
            public override DataViewSchema Schema => mapper.OutputSchema;
            public override long Position => input.Position;
            public override long Batch => input.Batch;
            public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

            public override bool IsColumnActive(DataViewSchema.Column column) =>
                column.Index < mapper.InputSchema.Count ? input.IsColumnActive(mapper.InputSchema[column.Index]) : active.Contains(column.Index);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                int inputCount = mapper.InputSchema.Count;
                if (column.Index < inputCount) return input.GetGetter<TValue>(mapper.InputSchema[column.Index]);
                _average ??= new RowAverage(mapper.Owner, input, mapper.InputSchema);
                return _average.Getter(column.Index - inputCount) as ValueGetter<TValue>
                    ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}; it cannot be read as {typeof(TValue).Name}.");
            }
        }
    }

    // A cursor over the input whose rows are the mapper's rows over it.
    private sealed class MappedView(ScoreAverageTransformer owner, IDataView input) : IDataView
    {
        private readonly Mapper _mapper = new(owner, input.Schema);
        public DataViewSchema Schema => _mapper.OutputSchema;
        public bool CanShuffle => input.CanShuffle;
        public long? GetRowCount() => input.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            var needed = columnsNeeded.ToList();
            var cursor = input.GetRowCursor(_mapper.GetDependencies(needed), rand);
            return new Cursor(cursor, _mapper.GetRow(cursor, needed));
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(DataViewRowCursor input, DataViewRow row) : DataViewRowCursor
        {
            public override DataViewSchema Schema => row.Schema;
            public override long Position => input.Position;
            public override long Batch => input.Batch;
            public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
            public override bool MoveNext() => input.MoveNext();
            public override bool IsColumnActive(DataViewSchema.Column column) => row.IsColumnActive(column);
            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => row.GetGetter<TValue>(column);

            protected override void Dispose(bool disposing)
            {
                if (disposing) input.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
