using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary>
/// The lazy output of a GAU transformer. A cursor walks the input with two cursors in step: one serves the
/// pass-through columns row by row, the other reads ahead a chunk of text that is scored in length-sorted
/// batches. No forward pass ever sees a single row unless the input has one.
/// </summary>
internal sealed class GauScoredDataView : IDataView
{
    private readonly GauTransformerBase _transformer;
    private readonly IDataView _input;

    public GauScoredDataView(GauTransformerBase transformer, IDataView input)
    {
        _transformer = transformer;
        _input = input;
        Schema = transformer.GetOutputSchema(input.Schema);
    }

    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => _input.GetRowCount();

    /// <summary>Rows read ahead and scored together; batches inside a chunk are sorted by length.</summary>
    private int ChunkRows => _transformer.Model.Spec.BatchSize * 8;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        int inputCount = _input.Schema.Count;
        var passThrough = _input.GetRowCursor(needed.Where(c => c.Index < inputCount).Select(c => _input.Schema[c.Index]));
        bool scoring = needed.Any(c => c.Index >= inputCount);
        var textColumns = _transformer.Model.Spec.TextColumns;
        var lookahead = scoring ? _input.GetRowCursor(textColumns.Select(n => _input.Schema[n])) : null;
        return new Cursor(this, passThrough, lookahead, needed.Where(c => c.Index >= inputCount).Select(c => c.Index).ToHashSet());
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly GauScoredDataView _parent;
        private readonly DataViewRowCursor _passThrough;
        private readonly DataViewRowCursor? _lookahead;
        private readonly Func<string?[]>? _readText;
        private readonly HashSet<int> _activeOutputs;
        private ScoredRow[] _chunk = [];
        private int _inChunk = -1;

        public Cursor(GauScoredDataView parent, DataViewRowCursor passThrough, DataViewRowCursor? lookahead, HashSet<int> activeOutputs)
        {
            _parent = parent;
            _passThrough = passThrough;
            _lookahead = lookahead;
            _activeOutputs = activeOutputs;
            if (lookahead is not null) _readText = InputColumns.TextReader(lookahead, parent._transformer.Model.Spec.TextColumns);
        }

        public override DataViewSchema Schema => _parent.Schema;
        public override long Position => _passThrough.Position;
        public override long Batch => _passThrough.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _passThrough.GetIdGetter();

        public override bool MoveNext()
        {
            if (!_passThrough.MoveNext()) return false;
            if (_lookahead is not null && ++_inChunk >= _chunk.Length) ReadAndScoreChunk();
            return true;
        }

        private void ReadAndScoreChunk()
        {
            var rows = new List<string?[]>();
            while (rows.Count < _parent.ChunkRows && _lookahead!.MoveNext()) rows.Add(_readText!());
            if (rows.Count == 0)
                throw new InvalidOperationException("The input data view returned fewer rows on a second cursor than on the first; GAU transformers need a data view that reads the same rows each time.");
            _chunk = _parent._transformer.Score(rows);
            _inChunk = 0;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _parent._input.Schema.Count
                ? _passThrough.IsColumnActive(_parent._input.Schema[column.Index])
                : _activeOutputs.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = _parent._input.Schema.Count;
            if (column.Index < inputCount) return _passThrough.GetGetter<TValue>(_parent._input.Schema[column.Index]);
            if (!_activeOutputs.Contains(column.Index))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
            var output = _parent._transformer.OutputColumns[column.Index - inputCount];
            return output.MakeGetter(() => _chunk[_inChunk]) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {output.Type}; it cannot be read as {typeof(TValue).Name}.");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _passThrough.Dispose();
                _lookahead?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
