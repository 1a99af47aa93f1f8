using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Serving;

/// <summary>
/// A gathered batch of requests as one in-memory <see cref="IDataView"/> with the saved pipeline's input schema: the text
/// columns hold the requests' texts, every other column its type's default (empty text, 0, a missing key, a vector of
/// zeros), as a PredictionEngine's default-valued field would.
/// </summary>
internal sealed class BatchInputView(DataViewSchema schema, int[] textColumns, IReadOnlyList<GauInput> rows) : IDataView
{
    public int RowCount => rows.Count;

    public bool IsText(int column) => Array.IndexOf(textColumns, column) >= 0;

    public bool CanShuffle => false;

    public DataViewSchema Schema => schema;

    public long? GetRowCount() => rows.Count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    private string? TextOf(int column, int row)
    {
        int at = Array.IndexOf(textColumns, column);
        return at switch
        {
            0 => rows[row].Text,
            1 => rows[row].Pair ?? "",
            _ => null,
        };
    }

    private sealed class Cursor(BatchInputView parent) : DataViewRowCursor
    {
        private long _position = -1;

        public override DataViewSchema Schema => parent.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext() => ++_position < parent.RowCount;

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (parent.IsText(column.Index))
            {
                if (typeof(TValue) != typeof(ReadOnlyMemory<char>))
                    throw new InvalidOperationException($"Column '{column.Name}' holds text, not {typeof(TValue).Name}.");
                ValueGetter<ReadOnlyMemory<char>> text = (ref ReadOnlyMemory<char> value) => value = (parent.TextOf(column.Index, (int)_position) ?? "").AsMemory();
                return (ValueGetter<TValue>)(Delegate)text;
            }
            return DefaultGetter<TValue>(column.Type);
        }
    }

    private static ValueGetter<TValue> DefaultGetter<TValue>(DataViewType type)
    {
        if (type is VectorDataViewType vector)
        {
            var make = typeof(BatchInputView).GetMethod(nameof(ZeroVector), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(vector.ItemType.RawType);
            return (ValueGetter<TValue>)make.Invoke(null, [vector.Size])!;
        }
        return (ref TValue value) => value = default!;
    }

    // A sparse vector of zeros of the column's size (a variable-size column gets an empty one).
    private static ValueGetter<VBuffer<T>> ZeroVector<T>(int size) => (ref VBuffer<T> value) => value = new VBuffer<T>(size, 0, [], []);
}
