using GauMLNet.Engines;
using GauMLNet.MLNet;
using GauMLNet.Onnx;
using Microsoft.ML.Runtime;

[assembly: GauEngine(typeof(OnnxRuntimeEngineFactory))]

namespace GauMLNet.Onnx;

/// <summary>Registration of the onnxruntime engine with GauMLNet.</summary>
public static class GauOnnxRegistration
{
    /// <summary>
    /// Registers the onnxruntime engine and the GAU transformers' loaders, so <c>mlContext.Model.Load</c> reads GAU
    /// models and scores them on ONNX Runtime. Idempotent.
    /// </summary>
    public static ComponentCatalog RegisterGauOnnx(this ComponentCatalog catalog)
    {
        GauModelLoaders.Register(catalog);
        RegisterEngine();
        return catalog;
    }

    /// <summary>Registers the onnxruntime engine in <see cref="GauEngines"/> only.</summary>
    public static void RegisterEngine() => GauEngines.Register(new OnnxRuntimeEngineFactory());
}
