using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>A fitted GAU-α sentence-pair regressor. Adds Score (one float).</summary>
public sealed class GauSentenceSimilarityTransformer : GauTransformerBase
{
    internal static readonly GauModelVersion ModelVersion = new("GAUSIMIL", 0x00010001, "GauSentenceSimilarity");

    internal GauSentenceSimilarityTransformer(IHostEnvironment env, GauTaskModel model) : base(env, model) { }

    internal override GauModelVersion Version => ModelVersion;

    private protected override GauTransformerBase Create(IHostEnvironment env, GauTaskModel model) => new GauSentenceSimilarityTransformer(env, model);

    private protected override IReadOnlyList<GauOutputColumn> BuildOutputColumns() => Columns(Model.Spec);

    internal static IReadOnlyList<GauOutputColumn> Columns(GauTaskSpec spec) =>
        [new ScalarOutputColumn(spec.OutputColumns[0], GauOutputColumn.ScoreAnnotations("Regression", "Score"))];

    /// <summary>Loads a directory written by <see cref="GauTransformerBase.SaveCheckpoint"/>.</summary>
    public static GauSentenceSimilarityTransformer LoadCheckpoint(MLContext mlContext, string directory, string? device = null)
    {
        return new GauSentenceSimilarityTransformer(mlContext, LoadDirectory(directory, device, GauTask.Regression, "a similarity regressor"));
    }

    internal static GauSentenceSimilarityTransformer CreateFromModel(IHostEnvironment env, object modelLoadContext) =>
        new(env, ReadModel(modelLoadContext, ModelVersion));
}
