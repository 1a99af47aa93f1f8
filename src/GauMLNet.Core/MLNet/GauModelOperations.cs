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
    /// A directory in the PyTorch layout (its gaumlnet.json, see <see cref="Interop.PyTorchLayout"/>) loads too.
    /// </summary>
    public static ITransformer LoadGauModel(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema)
    {
        if (Directory.Exists(filePath) && Interop.PyTorchLayout.Holds(filePath)) return GauPyTorchModels.Load(catalog, filePath, out inputSchema);
        ZipIntegrity.Verify(filePath);
        GauModelLoaders.Register(MLNetInternals.GetEnvironment(catalog).ComponentCatalog);
        try
        {
            return catalog.Load(filePath, out inputSchema);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TargetInvocationException && DamageFoundByALoader(ex) is { } damage)
        {
            // ML.NET wraps what a component's loader throws ("Error during class instantiation"): surface the loader's own error.
            ExceptionDispatchInfo.Throw(damage);
            throw;
        }
        catch (FormatException ex)
        {
            // ML.NET's own decoding of a model entry (its header, string table, schema) found bytes it cannot read.
            throw new InvalidDataException($"{filePath}: ML.NET cannot decode the model ({ex.Message}); the file is damaged or not a model.", ex);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is { } inner)
        {
            // ML.NET calls our loaders by reflection; surface the loader's own error (a missing engine…).
            ExceptionDispatchInfo.Capture(inner).Throw();
            throw;
        }
    }

    /// <summary>The first documented corrupt-input error (InvalidDataException, or an IOException such as IntegrityException) among the causes.</summary>
    private static Exception? DamageFoundByALoader(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is InvalidDataException or IOException) return inner;
            if (inner is FormatException) return new InvalidDataException($"ML.NET cannot decode the model ({inner.Message}); the file is damaged or not a model.", inner);
        }
        return null;
    }
}
