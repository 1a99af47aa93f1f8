using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>Text (or a pair) → a fixed-size float vector: the pooled GAU-α hidden state, usable as Features.</summary>
public sealed class GauTextEmbeddingTransformer : GauTransformerBase
{
    internal static readonly GauModelVersion ModelVersion = new("GAUEMBED", 0x00010001, "GauTextEmbedding");

    internal GauTextEmbeddingTransformer(IHostEnvironment env, GauTaskModel model) : base(env, model) { }

    internal override GauModelVersion Version => ModelVersion;

    private protected override GauTransformerBase Create(IHostEnvironment env, GauTaskModel model) => new GauTextEmbeddingTransformer(env, model);

    /// <summary>The embedding width (the encoder's hidden size).</summary>
    public int Dimension => Model.Config.HiddenSize;

    private protected override IReadOnlyList<GauOutputColumn> BuildOutputColumns() =>
        [new VectorOutputColumn(Model.Spec.OutputColumns[0], Dimension, DataViewSchema.Annotations.Empty)];

    public static GauTextEmbeddingTransformer LoadCheckpoint(MLContext mlContext, string directory, string? device = null)
    {
        return new GauTextEmbeddingTransformer(mlContext, LoadDirectory(directory, device, GauTask.Embedding, "a text embedding"));
    }

    internal static GauTextEmbeddingTransformer CreateFromModel(IHostEnvironment env, object modelLoadContext) =>
        new(env, ReadModel(modelLoadContext, ModelVersion));
}
