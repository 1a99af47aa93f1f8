using GauMLNet.Engines;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// Fine-tunes GAU-α to classify one text, or a sentence pair when SecondSentenceColumnName (sentence2ColumnName in
/// the simple overload) is set. The label must be a key; its key count sets the
/// number of classes, so a cross-validation fold missing a class still trains the full head.
/// </summary>
public sealed class GauClassificationTrainer : GauSequenceTrainer<GauTextClassificationTransformer>
{
    private readonly string[] _textColumns;
    private readonly string _label;
    private readonly string[] _outputs;

    internal GauClassificationTrainer(IHostEnvironment env, GauTextClassificationOptions options, IGauNetworkBuilder backend)
        : base(env, options, backend)
    {
        _textColumns = options.SecondSentenceColumnName is { } second ? [options.SentenceColumnName, second] : [options.SentenceColumnName];
        _label = options.LabelColumnName;
        _outputs = [options.ScoreColumnName, options.PredictedLabelColumnName];
    }

    private protected override string[] TextColumns => _textColumns;
    private protected override string LabelColumn => _label;
    private protected override GauTask Task => GauTask.Classification;
    private protected override string[] OutputColumnNames => _outputs;

    private protected override (int Outputs, LabelValues? Labels) DescribeLabel(DataViewSchema.Column label)
    {
        if (label.Type is not KeyDataViewType key || key.Count is 0 or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(label),
                $"{GetType().Name}: label column '{label.Name}' is {label.Type}, but a key type with a known count is expected (use MapValueToKey).");
        if (key.Count < 2) throw new ArgumentOutOfRangeException(nameof(label), $"{GetType().Name}: label column '{label.Name}' has {key.Count} class; at least 2 are needed.");
        return ((int)key.Count, LabelKeyValues.Read(label));
    }

    private protected override LabelValues? CheckLabel(SchemaShape.Column label)
    {
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentOutOfRangeException(nameof(label), $"{GetType().Name}: label column '{label.Name}' must be a scalar key (use MapValueToKey), not {label.ItemType}.");
        return LabelKeyValues.Placeholder(label);
    }

    private protected override Func<float?> LabelReader(DataViewRow row, DataViewSchema.Column label)
    {
        var getter = row.GetGetter<uint>(label);
        return () =>
        {
            uint key = 0;
            getter(ref key);
            return key == 0 ? null : key - 1; // key 0 is "missing"
        };
    }

    private protected override IReadOnlyList<GauOutputColumn> OutputColumnsFor(GauTaskSpec spec) => GauTextClassificationTransformer.Columns(spec);

    private protected override GauTextClassificationTransformer CreateTransformer(IHostEnvironment env, GauTaskModel model) => new(env, model);
}
