using GauMLNet.Engines;
using GauMLNet.MLNet;
using GauMLNet.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Runtime;

[assembly: GauEngine(typeof(OnnxRuntimeEngineFactory))]

namespace GauMLNet.Onnx;

/// <summary>Registration of the onnxruntime engine with GauMLNet.</summary>
public static class GauOnnxRegistration
{
    /// <summary>
    /// Registers the onnxruntime engine and the GAU transformers' loaders, so <c>mlContext.Model.Load</c> reads GAU
    /// models and scores them on ONNX Runtime. Idempotent; the last registration's <paramref name="configureSession"/> applies.
    /// </summary>
    /// <param name="configureSession">the application's last word on every session's options (see <see cref="OnnxRuntimeEngine"/>)</param>
    public static ComponentCatalog RegisterGauOnnx(this ComponentCatalog catalog, Action<SessionOptions>? configureSession = null)
    {
        GauModelLoaders.Register(catalog);
        RegisterEngine(configureSession);
        return catalog;
    }

    /// <summary>Registers the onnxruntime engine in <see cref="GauEngines"/> only.</summary>
    public static void RegisterEngine(Action<SessionOptions>? configureSession = null) =>
        GauEngines.Register(new OnnxRuntimeEngineFactory { ConfigureSession = configureSession });
}
