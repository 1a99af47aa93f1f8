using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.MLNet;

/// <summary>What a GAU transformer computed for one row: the task model's outputs, and for entity models the text and its entities.</summary>
internal sealed record ScoredRow(float[] Values, string? Text = null, IReadOnlyList<Entities.Entity>? Entities = null, string[]? Answers = null);

/// <summary>One column a GAU transformer adds, and how its value comes from a row's model outputs.</summary>
internal abstract class GauOutputColumn(string name, DataViewType type, DataViewSchema.Annotations annotations)
{
    public string Name { get; } = name;
    public DataViewType Type { get; } = type;
    public DataViewSchema.Annotations Annotations { get; } = annotations;

    /// <summary>A ValueGetter of the column's type reading <paramref name="row"/>, the current row's outputs.</summary>
    public abstract Delegate MakeGetter(Func<ScoredRow> row);

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

/// <summary>A float vector: class probabilities or an embedding (a known size), or a question's answer scores (size 0: varies by row).</summary>
internal sealed class VectorOutputColumn(string name, int size, DataViewSchema.Annotations annotations)
    : GauOutputColumn(name, new VectorDataViewType(NumberDataViewType.Single, size), annotations)
{
    public override Delegate MakeGetter(Func<ScoredRow> row) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
    {
        var values = row().Values;
        var editor = VBufferEditor.Create(ref dst, values.Length);
        values.CopyTo(editor.Values);
        dst = editor.Commit();
    });
}

/// <summary>A text vector whose length varies by row: a question's answers, best first.</summary>
internal sealed class AnswerTextsColumn(string name)
    : GauOutputColumn(name, new VectorDataViewType(TextDataViewType.Instance), DataViewSchema.Annotations.Empty)
{
    public override Delegate MakeGetter(Func<ScoredRow> row) => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> dst) =>
    {
        var answers = row().Answers ?? [];
        var editor = VBufferEditor.Create(ref dst, answers.Length);
        for (int i = 0; i < answers.Length; i++) editor.Values[i] = answers[i].AsMemory();
        dst = editor.Commit();
    });
}

/// <summary>One float: a regression score.</summary>
internal sealed class ScalarOutputColumn(string name, DataViewSchema.Annotations annotations)
    : GauOutputColumn(name, NumberDataViewType.Single, annotations)
{
    public override Delegate MakeGetter(Func<ScoredRow> row) => (ValueGetter<float>)((ref float dst) => dst = row().Values[0]);
}

/// <summary>The most probable class as a key (1-based; 0 would mean missing).</summary>
internal sealed class PredictedKeyColumn(string name, int classes, DataViewSchema.Annotations annotations)
    : GauOutputColumn(name, new KeyDataViewType(typeof(uint), classes), annotations)
{
    public override Delegate MakeGetter(Func<ScoredRow> row) =>
        (ValueGetter<uint>)((ref uint dst) => dst = (uint)Scoring.GauTaskModel.ArgMax(row().Values) + 1);
}

/// <summary>A row's entities as CLUENER label JSON: {type: {entity text: [[start, end]]}}.</summary>
internal sealed class EntitiesJsonColumn(string name) : GauOutputColumn(name, TextDataViewType.Instance, DataViewSchema.Annotations.Empty)
{
    public override Delegate MakeGetter(Func<ScoredRow> row) => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> dst) =>
    {
        var scored = row();
        dst = Clue.ClueNerData.Label(scored.Text ?? "", scored.Entities ?? []).ToJsonString(EntitiesJson).AsMemory();
    });

    private static readonly System.Text.Json.JsonSerializerOptions EntitiesJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>A row's entities as one BIO tag key per character, in the label's key type.</summary>
internal sealed class CharacterTagsColumn(string name, Tasks.LabelValues tags)
    : GauOutputColumn(name, new VectorDataViewType(new KeyDataViewType(typeof(uint), tags.Values.Length)), KeyValueAnnotations(tags))
{
    private readonly Dictionary<string, uint> _keys = tags.Values.Select((t, i) => (t, (uint)i + 1)).ToDictionary(p => p.t, p => p.Item2, StringComparer.Ordinal);

    public override Delegate MakeGetter(Func<ScoredRow> row) => (ValueGetter<VBuffer<uint>>)((ref VBuffer<uint> dst) =>
    {
        var scored = row();
        var names = EntityLabels.ToCharacterTags(scored.Text?.Length ?? 0, scored.Entities ?? []);
        var editor = VBufferEditor.Create(ref dst, names.Length);
        for (int i = 0; i < names.Length; i++) editor.Values[i] = _keys.GetValueOrDefault(names[i]); // 0 (missing) for a tag the label lacks
        dst = editor.Commit();
    });

    private static DataViewSchema.Annotations KeyValueAnnotations(Tasks.LabelValues tags)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        LabelKeyValues.AddKeyValues(builder, tags);
        return builder.ToAnnotations();
    }
}
