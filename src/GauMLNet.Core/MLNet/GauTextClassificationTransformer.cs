using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// A fitted GAU-α text (or sentence-pair) classifier. Adds Score (class probabilities, slot names from
/// the label's values) and PredictedLabel (a key of the label's key type).
/// </summary>
public sealed class GauTextClassificationTransformer : GauTransformerBase
{
    internal static readonly GauModelVersion ModelVersion = new("GAUTXCLS", 0x00010001, "GauTextClassifier");

    internal GauTextClassificationTransformer(IHostEnvironment env, GauTaskModel model) : base(env, model) { }

    internal override GauModelVersion Version => ModelVersion;

    private protected override GauTransformerBase Create(IHostEnvironment env, GauTaskModel model) => new GauTextClassificationTransformer(env, model);

    private protected override IReadOnlyList<GauOutputColumn> BuildOutputColumns() => Columns(Model.Spec);

    internal static IReadOnlyList<GauOutputColumn> Columns(GauTaskSpec spec)
    {
        var slotNames = LabelKeyValues.SlotNames(spec.Labels, spec.Outputs);
        return
        [
            new VectorOutputColumn(spec.OutputColumns[0], spec.Outputs,
                GauOutputColumn.ScoreAnnotations("MulticlassClassification", "Score", b => GauOutputColumn.AddSlotNames(b, slotNames))),
            new PredictedKeyColumn(spec.OutputColumns[1], spec.Outputs,
                GauOutputColumn.ScoreAnnotations("MulticlassClassification", "PredictedLabel", b =>
                {
                    if (spec.Labels is not null) LabelKeyValues.AddKeyValues(b, spec.Labels);
                })),
        ];
    }

    /// <summary>Loads a directory written by <see cref="GauTransformerBase.SaveCheckpoint"/>.</summary>
    public static GauTextClassificationTransformer LoadCheckpoint(MLContext mlContext, string directory, string? device = null)
    {
        return new GauTextClassificationTransformer(mlContext, LoadDirectory(directory, device, GauTask.Classification, "a classifier"));
    }

    // Called by ML.NET's model loader through the registration in GauModelLoaders.
    internal static GauTextClassificationTransformer CreateFromModel(IHostEnvironment env, object modelLoadContext) =>
        new(env, ReadModel(modelLoadContext, ModelVersion));
}
