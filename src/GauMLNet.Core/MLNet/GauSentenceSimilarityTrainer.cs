using GauMLNet.Engines;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>Fine-tunes GAU-α to score how similar two sentences are (float label, mean squared error).</summary>
public sealed class GauSentenceSimilarityTrainer : GauSequenceTrainer<GauSentenceSimilarityTransformer>
{
    private readonly GauSentenceSimilarityOptions _options;

    internal GauSentenceSimilarityTrainer(IHostEnvironment env, GauSentenceSimilarityOptions options, IGauNetworkBuilder backend)
        : base(env, options, backend) => _options = options with { };

    private protected override string[] TextColumns => [_options.Sentence1ColumnName, _options.Sentence2ColumnName];
    private protected override string LabelColumn => _options.LabelColumnName;
    private protected override GauTask Task => GauTask.Regression;
    private protected override string[] OutputColumnNames => [_options.ScoreColumnName];

    private protected override (int Outputs, LabelValues? Labels) DescribeLabel(DataViewSchema.Column label)
    {
        if (label.Type != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(label), $"{GetType().Name}: label column '{label.Name}' is {label.Type}, but Single (float) is expected.");
        return (1, null);
    }

    private protected override LabelValues? CheckLabel(SchemaShape.Column label)
    {
        if (label.Kind != SchemaShape.Column.VectorKind.Scalar || label.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(label), $"{GetType().Name}: label column '{label.Name}' must be a scalar Single (float), not {label.ItemType}.");
        return null;
    }

    private protected override Func<float?> LabelReader(DataViewRow row, DataViewSchema.Column label)
    {
        var getter = row.GetGetter<float>(label);
        return () =>
        {
            float value = 0;
            getter(ref value);
            return float.IsFinite(value) ? value : null;
        };
    }

    private protected override IReadOnlyList<GauOutputColumn> OutputColumnsFor(GauTaskSpec spec) => GauSentenceSimilarityTransformer.Columns(spec);

    private protected override GauSentenceSimilarityTransformer CreateTransformer(IHostEnvironment env, GauTaskModel model) => new(env, model);
}
