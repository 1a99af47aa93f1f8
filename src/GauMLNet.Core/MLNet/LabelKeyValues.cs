using System.Globalization;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary>Reads a key column's KeyValues annotation into <see cref="LabelValues"/> and writes it back as annotations.</summary>
internal static class LabelKeyValues
{
    private const string KeyValuesKind = "KeyValues";

    public static LabelValues? Read(DataViewSchema.Column column)
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull(KeyValuesKind);
        if (annotation is not { Type: VectorDataViewType vector }) return null;
        return vector.ItemType switch
        {
            TextDataViewType => new("text", ReadAll<ReadOnlyMemory<char>>(column).Select(v => v.ToString()).ToArray()),
            NumberDataViewType n when n.RawType == typeof(float) => new("single", ReadAll<float>(column).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray()),
            NumberDataViewType n when n.RawType == typeof(double) => new("double", ReadAll<double>(column).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray()),
            NumberDataViewType n when n.RawType == typeof(int) => new("int32", ReadAll<int>(column).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray()),
            NumberDataViewType n when n.RawType == typeof(uint) => new("uint32", ReadAll<uint>(column).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray()),
            NumberDataViewType n when n.RawType == typeof(long) => new("int64", ReadAll<long>(column).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray()),
            NumberDataViewType n when n.RawType == typeof(ulong) => new("uint64", ReadAll<ulong>(column).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray()),
            BooleanDataViewType => new("boolean", ReadAll<bool>(column).Select(v => v ? "true" : "false").ToArray()),
            _ => null, // other key value types: predictions stay keys, slot names become Class_i
        };
    }

    /// <summary>Placeholder values of the KeyValues item type a label shape announces (shapes carry no values), or null.</summary>
    public static LabelValues? Placeholder(SchemaShape.Column label)
    {
        var annotation = label.Annotations?.LastOrDefault(c => c.Name == KeyValuesKind) ?? default;
        if (annotation.Name is null) return null;
        string? code = annotation.ItemType switch
        {
            TextDataViewType => "text",
            BooleanDataViewType => "boolean",
            NumberDataViewType n when n.RawType == typeof(float) => "single",
            NumberDataViewType n when n.RawType == typeof(double) => "double",
            NumberDataViewType n when n.RawType == typeof(int) => "int32",
            NumberDataViewType n when n.RawType == typeof(uint) => "uint32",
            NumberDataViewType n when n.RawType == typeof(long) => "int64",
            NumberDataViewType n when n.RawType == typeof(ulong) => "uint64",
            _ => null,
        };
        return code is null ? null : new LabelValues(code, code == "text" ? ["a", "b"] : code == "boolean" ? ["false", "true"] : ["0", "1"]);
    }

    /// <summary>Adds KeyValues (for a PredictedLabel key column) in their original item type.</summary>
    public static void AddKeyValues(DataViewSchema.Annotations.Builder builder, LabelValues labels)
    {
        int n = labels.Values.Length;
        switch (labels.ItemType)
        {
            case "text": Add(builder, TextDataViewType.Instance, labels.Values.Select(v => v.AsMemory()).ToArray()); break;
            case "single": Add(builder, NumberDataViewType.Single, labels.Values.Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()); break;
            case "double": Add(builder, NumberDataViewType.Double, labels.Values.Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()); break;
            case "int32": Add(builder, NumberDataViewType.Int32, labels.Values.Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray()); break;
            case "uint32": Add(builder, NumberDataViewType.UInt32, labels.Values.Select(v => uint.Parse(v, CultureInfo.InvariantCulture)).ToArray()); break;
            case "int64": Add(builder, NumberDataViewType.Int64, labels.Values.Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray()); break;
            case "uint64": Add(builder, NumberDataViewType.UInt64, labels.Values.Select(v => ulong.Parse(v, CultureInfo.InvariantCulture)).ToArray()); break;
            case "boolean": Add(builder, BooleanDataViewType.Instance, labels.Values.Select(v => v == "true").ToArray()); break;
            default: throw new InvalidDataException($"Unknown label value type '{labels.ItemType}' ({n} values).");
        }
    }

    /// <summary>Slot names for a score vector: the label values, or Class_0… when unknown.</summary>
    public static ReadOnlyMemory<char>[] SlotNames(LabelValues? labels, int count) =>
        Enumerable.Range(0, count).Select(i => (labels is not null && i < labels.Values.Length ? labels.Values[i] : LabelValues.UnnamedClass(i)).AsMemory()).ToArray();

    private static void Add<T>(DataViewSchema.Annotations.Builder builder, PrimitiveDataViewType type, T[] values) =>
        builder.Add(KeyValuesKind, new VectorDataViewType(type, values.Length), (ref VBuffer<T> dst) => dst = new VBuffer<T>(values.Length, values));

    private static T[] ReadAll<T>(DataViewSchema.Column column)
    {
        VBuffer<T> buffer = default;
        column.Annotations.GetValue(KeyValuesKind, ref buffer);
        return buffer.DenseValues().ToArray();
    }
}
