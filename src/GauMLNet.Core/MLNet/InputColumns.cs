using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary>Schema checks with errors that name the column and the type expected, and reading text rows.</summary>
internal static class InputColumns
{
    public static void RequireText(DataViewSchema schema, IEnumerable<string> names, string component)
    {
        foreach (string name in names)
        {
            var column = schema.GetColumnOrNull(name)
                ?? throw new ArgumentOutOfRangeException(nameof(schema), $"{component}: input column '{name}' was not found; it must be a Text (string) column.");
            if (column.Type is not TextDataViewType)
                throw new ArgumentOutOfRangeException(nameof(schema), $"{component}: input column '{name}' is {column.Type}, but a Text (string) column is expected.");
        }
    }

    public static void RequireText(SchemaShape shape, IEnumerable<string> names, string component)
    {
        foreach (string name in names)
        {
            var column = shape.LastOrDefault(c => c.Name == name);
            if (column.Name is null)
                throw new ArgumentOutOfRangeException(nameof(shape), $"{component}: input column '{name}' was not found; it must be a Text (string) column.");
            if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
                throw new ArgumentOutOfRangeException(nameof(shape), $"{component}: input column '{name}' is {column.ItemType} ({column.Kind}), but a Text (string) column is expected.");
        }
    }

    /// <summary>Getters returning each text column's value of the cursor's current row (null stays null: an empty sentence).</summary>
    public static Func<string?[]> TextReader(DataViewRow row, IReadOnlyList<string> names)
    {
        var getters = names.Select(n => row.GetGetter<ReadOnlyMemory<char>>(row.Schema[n])).ToArray();
        return () =>
        {
            var values = new string?[getters.Length];
            for (int i = 0; i < getters.Length; i++)
            {
                ReadOnlyMemory<char> value = default;
                getters[i](ref value);
                values[i] = value.ToString();
            }
            return values;
        };
    }
}
