using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary>
/// Row-to-row mapping for PredictionEngine and transformer chains: a single row is scored on demand,
/// once per row however many output columns are read.
/// </summary>
internal sealed class GauRowMapper : IRowToRowMapper
{
    private readonly GauTransformerBase _transformer;

    public GauRowMapper(GauTransformerBase transformer, DataViewSchema inputSchema)
    {
        _transformer = transformer;
        InputSchema = inputSchema;
        OutputSchema = transformer.GetOutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new HashSet<int>();
        foreach (var column in dependingColumns)
        {
            if (column.Index < InputSchema.Count) needed.Add(column.Index);
            else foreach (string text in _transformer.Model.Spec.TextColumns) needed.Add(InputSchema[text].Index);
        }
        return needed.Order().Select(i => InputSchema[i]);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new MappedRow(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    private sealed class MappedRow(GauRowMapper mapper, DataViewRow input, HashSet<int> active) : DataViewRow
    {
        private Func<string?[]>? _readText;
        private long _scoredPosition = -1;
        private ScoredRow _outputs = new([]);

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
            var output = mapper._transformer.OutputColumns[column.Index - inputCount];
            return output.MakeGetter(Current) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {output.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        private ScoredRow Current()
        {
            if (_scoredPosition != input.Position || _scoredPosition < 0)
            {
                _readText ??= InputColumns.TextReader(input, mapper._transformer.Model.Spec.TextColumns);
                _outputs = mapper._transformer.Score([_readText()])[0];
                _scoredPosition = input.Position;
            }
            return _outputs;
        }
    }
}
