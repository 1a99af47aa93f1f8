using System.Reflection;
using System.Runtime.ExceptionServices;
using GauMLNet.Storage;
using Microsoft.ML;

namespace GauMLNet.MLNet;

/// <summary><c>mlContext.Model.LoadGauModel</c>: a checked <c>mlContext.Model.Load</c> for models holding GAU transformers.</summary>
public static class GauModelOperations
{
    /// <summary>
    /// Checks the zip's every entry (CRC-32), registers GauMLNet's loaders with this context, and loads. The model
    /// scores with the engine it was saved for, or another installed one (<see cref="Engines.GauEngines"/>).
    /// </summary>
    public static ITransformer LoadGauModel(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema)
    {
        ZipIntegrity.Verify(filePath);
        GauModelLoaders.Register(MLNetInternals.GetEnvironment(catalog).ComponentCatalog);
        try
        {
            return catalog.Load(filePath, out inputSchema);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is { } inner)
        {
            // ML.NET calls our loaders by reflection; surface the loader's own error (damaged member, missing engine…).
            ExceptionDispatchInfo.Capture(inner).Throw();
            throw;
        }
    }
}
