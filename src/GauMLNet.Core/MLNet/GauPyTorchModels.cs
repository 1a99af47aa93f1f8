using GauMLNet.Clue;
using GauMLNet.Interop;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace GauMLNet.MLNet;

/// <summary>
/// Fitted models to and from the PyTorch layout (<see cref="PyTorchLayout"/>). A CLUE model (its gau-task.json names the
/// CLUE task) comes back as the pipeline <c>gau train</c> fits — label text → key, the GAU transformer, predicted key →
/// label text — over <see cref="ClueExample"/> rows; any other model comes back as its GAU transformer alone.
/// </summary>
internal static class GauPyTorchModels
{
    /// <summary>Writes the one GAU transformer in <paramref name="model"/> in the PyTorch layout; returns what gaumlnet.json says.</summary>
    public static PyTorchModelDescription ExportToPyTorch(this ModelOperationsCatalog catalog, ITransformer model, string directory)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var gau = CluePipeline.GauTransformers(model).ToList();
        if (gau.Count != 1) throw new InvalidDataException($"the model holds {gau.Count} GAU transformers; a PyTorch export needs exactly one.");
        gau[0].RequireOneNetwork("a PyTorch export");
        return PyTorchLayout.Write(gau[0].Model.Package, directory);
    }

    /// <summary>Loads a PyTorch-layout directory as an ML.NET model scoring with the engine its package resolves to.</summary>
    public static ITransformer Load(ModelOperationsCatalog catalog, string directory, out DataViewSchema inputSchema)
    {
        var env = MLNetInternals.GetEnvironment(catalog);
        GauModelLoaders.Register(env.ComponentCatalog);
        var package = PyTorchLayout.ReadPackage(directory);
        var gau = Transformer(env, GauTaskModel.Load(package));
        string? clueTask = package.Spec.Metadata?.GetValueOrDefault(ClueTask.MetadataKey);
        if (clueTask is null || gau is not GauTextClassificationTransformer || package.Spec.Labels is not { } labels)
        {
            inputSchema = TextSchema(package.Spec);
            return gau;
        }
        // The CLUE pipeline, keys in the head's output order: key k is labels[k - 1], as the original fit mapped them.
        var ml = new MLContext();
        var rows = ml.Data.LoadFromEnumerable(new List<ClueExample>());
        var keyData = ml.Data.LoadFromEnumerable(labels.Values.Select(v => new LabelRow { Label = v }));
        var keyMap = ml.Transforms.Conversion.MapValueToKey(nameof(ClueExample.Label), keyData: keyData).Fit(rows);
        var keyToValue = ml.Transforms.Conversion.MapKeyToValue(gau.Model.Spec.OutputColumns[1]).Fit(gau.Transform(keyMap.Transform(rows)));
        inputSchema = rows.Schema;
        return new TransformerChain<ITransformer>(keyMap, gau, keyToValue);
    }

    private static GauTransformerBase Transformer(IHostEnvironment env, GauTaskModel model) => model.Spec.Task switch
    {
        GauTask.Classification => new GauTextClassificationTransformer(env, model),
        GauTask.Regression => new GauSentenceSimilarityTransformer(env, model),
        GauTask.Embedding => new GauTextEmbeddingTransformer(env, model),
        GauTask.TokenClassification => new GauNamedEntityRecognitionTransformer(env, model),
        _ => throw new InvalidDataException($"{model.Package.Source}: task {model.Spec.Task} has no ML.NET transformer."),
    };

    private static DataViewSchema TextSchema(GauTaskSpec spec)
    {
        var builder = new DataViewSchema.Builder();
        foreach (string column in spec.TextColumns) builder.AddColumn(column, TextDataViewType.Instance);
        return builder.ToSchema();
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
