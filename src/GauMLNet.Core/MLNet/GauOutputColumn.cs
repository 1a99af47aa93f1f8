using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary>One column a GAU transformer adds, and how its value comes from a row's model outputs.</summary>
internal abstract class GauOutputColumn(string name, DataViewType type, DataViewSchema.Annotations annotations)
{
    public string Name { get; } = name;
    public DataViewType Type { get; } = type;
    public DataViewSchema.Annotations Annotations { get; } = annotations;

    /// <summary>A ValueGetter of the column's type reading <paramref name="outputs"/> of the current row.</summary>
    public abstract Delegate MakeGetter(Func<float[]> outputs);

    public static DataViewSchema.Annotations ScoreAnnotations(string columnKind, string valueKind, Action<DataViewSchema.Annotations.Builder>? more = null)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add("ScoreColumnKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = columnKind.AsMemory());
        builder.Add("ScoreValueKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = valueKind.AsMemory());
        more?.Invoke(builder);
        return builder.ToAnnotations();
    }

    public static void AddSlotNames(DataViewSchema.Annotations.Builder builder, ReadOnlyMemory<char>[] names) =>
        builder.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, names.Length),
            (ref VBuffer<ReadOnlyMemory<char>> dst) => dst = new VBuffer<ReadOnlyMemory<char>>(names.Length, names));
}

/// <summary>A known-size float vector: class probabilities or an embedding.</summary>
internal sealed class VectorOutputColumn(string name, int size, DataViewSchema.Annotations annotations)
    : GauOutputColumn(name, new VectorDataViewType(NumberDataViewType.Single, size), annotations)
{
    public override Delegate MakeGetter(Func<float[]> outputs) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
    {
        var values = outputs();
        var editor = VBufferEditor.Create(ref dst, values.Length);
        values.CopyTo(editor.Values);
        dst = editor.Commit();
    });
}

/// <summary>One float: a regression score.</summary>
internal sealed class ScalarOutputColumn(string name, DataViewSchema.Annotations annotations)
    : GauOutputColumn(name, NumberDataViewType.Single, annotations)
{
    public override Delegate MakeGetter(Func<float[]> outputs) => (ValueGetter<float>)((ref float dst) => dst = outputs()[0]);
}

/// <summary>The most probable class as a key (1-based; 0 would mean missing).</summary>
internal sealed class PredictedKeyColumn(string name, int classes, DataViewSchema.Annotations annotations)
    : GauOutputColumn(name, new KeyDataViewType(typeof(uint), classes), annotations)
{
    public override Delegate MakeGetter(Func<float[]> outputs) =>
        (ValueGetter<uint>)((ref uint dst) => dst = (uint)Tasks.GauTaskModel.ArgMax(outputs()) + 1);
}
