using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>A fitted GAU-α sentence-pair regressor. Adds Score (one float).</summary>
public sealed class GauSentenceSimilarityTransformer : GauTransformerBase
{
    internal static readonly GauModelVersion ModelVersion = new("GAUSIMIL", 0x00010001, "GauSentenceSimilarity");

    internal GauSentenceSimilarityTransformer(IHostEnvironment env, GauTaskModel model) : base(env, model) { }

    internal override GauModelVersion Version => ModelVersion;

    private protected override IReadOnlyList<GauOutputColumn> BuildOutputColumns() => Columns(Model.Spec);

    internal static IReadOnlyList<GauOutputColumn> Columns(GauTaskSpec spec) =>
        [new ScalarOutputColumn(spec.OutputColumns[0], GauOutputColumn.ScoreAnnotations("Regression", "Score"))];

    /// <summary>Loads a directory written by <see cref="GauTransformerBase.SaveCheckpoint"/>.</summary>
    public static GauSentenceSimilarityTransformer LoadCheckpoint(MLContext mlContext, string directory, string? device = null)
    {
        var model = GauTaskModel.LoadDirectory(directory, device);
        if (model.Spec.Task != GauTaskSpec.Regression)
            throw new InvalidDataException($"{directory} holds a {model.Spec.Task} model, not a similarity regressor.");
        return new GauSentenceSimilarityTransformer(mlContext, model);
    }

    internal static GauSentenceSimilarityTransformer CreateFromModel(IHostEnvironment env, object modelLoadContext) =>
        new(env, ReadModel(modelLoadContext, ModelVersion));
}
