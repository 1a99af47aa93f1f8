using GauMLNet.MLNet;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Onnx;

/// <summary>
/// Moves fitted GAU models onto ONNX Runtime: <c>model.ToOnnxRuntime()</c> turns a fitted pipeline (trained with
/// TorchSharp) into one whose GAU transformers score with ONNX Runtime — same output columns, same predictions within
/// float rounding (int8 within its measured error) — and that saves to a model.zip an app can score with GauMLNet.Core
/// and GauMLNet.Onnx alone, no libtorch. <c>ExportToOnnx</c> writes one transformer's graph for any ONNX host.
/// </summary>
public static class GauOnnxConversion
{
    /// <summary>
    /// A copy of <paramref name="model"/> whose GAU transformers score with ONNX Runtime (their packages gain model.onnx
    /// and name the onnxruntime engine); every other transformer is shared. The model passed in is unchanged.
    /// </summary>
    /// <param name="threads">ONNX Runtime intra-op threads (0: its default)</param>
    public static ITransformer ToOnnxRuntime(this ITransformer model, OnnxExportOptions? options = null, int threads = 0) => model switch
    {
        GauTransformerBase gau => gau.ToOnnxRuntime(options, threads),
        TransformerChain<ITransformer> chain => new TransformerChain<ITransformer>(chain.Select(t => t.ToOnnxRuntime(options, threads)).ToArray()),
        _ => model,
    };

    /// <summary>A fitted chain with its GAU transformers on ONNX Runtime; the chain keeps its type.</summary>
    public static TransformerChain<TLast> ToOnnxRuntime<TLast>(this TransformerChain<TLast> chain, OnnxExportOptions? options = null, int threads = 0)
        where TLast : class, ITransformer =>
        new(chain.Select(t => t.ToOnnxRuntime(options, threads)).ToArray());

    /// <summary>This transformer on ONNX Runtime (see <see cref="ToOnnxRuntime(ITransformer, OnnxExportOptions?, int)"/>).</summary>
    public static GauTransformerBase ToOnnxRuntime(this GauTransformerBase transformer, OnnxExportOptions? options = null, int threads = 0)
    {
        options ??= new OnnxExportOptions();
        GauOnnxRegistration.RegisterEngine();
        var models = new List<GauTaskModel>(transformer.Models.Count);
        try
        {
            foreach (var model in transformer.Models) models.Add(OnOnnxRuntime(model.Package, options, threads));
            return transformer.WithModels(models);
        }
        catch
        {
            foreach (var model in models) model.Dispose();
            throw;
        }
    }

    private static GauTaskModel OnOnnxRuntime(GauModelPackage trained, OnnxExportOptions options, int threads)
    {
        var package = GauOnnxExporter.AddTo(trained, options);
        package = package.With(package.Spec with
        {
            Device = "auto",
            InferencePrecision = options.Quantization == OnnxQuantization.DynamicInt8 ? Configuration.InferencePrecision.Int8 : Configuration.InferencePrecision.Float32,
        });
        return GauTaskModel.Load(package, engine: OnnxNames.EngineName, threads: threads);
    }

    /// <summary>Writes the transformer's network (encoder + task head) as an ONNX file.</summary>
    public static void ExportToOnnx(this GauTransformerBase transformer, string path, OnnxExportOptions? options = null)
    {
        transformer.RequireOneNetwork("an ONNX file");
        GauOnnxExporter.Export(transformer.Model.Package, path, options);
    }
}
