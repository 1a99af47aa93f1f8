using GauMLNet.Clue;
using GauMLNet.Engines;
using GauMLNet.MLNet;
using GauMLNet.Tasks;
using Microsoft.ML;

namespace GauMLNet.Serving;

/// <summary>Loads the <see cref="GauTaskModel"/> a scorer serves from an ML.NET model file or a model directory.</summary>
public static class GauModelLoading
{
    public static GauTaskModel Load(GauScoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string path = options.ModelPath;
        GauModelPackage package;
        if (Directory.Exists(path))
        {
            package = GauModelPackage.LoadDirectory(path);
        }
        else if (File.Exists(path))
        {
            var model = new MLContext().Model.LoadGauModel(path, out _);
            var gau = CluePipeline.GauTransformers(model).ToList();
            if (gau.Count != 1)
            {
                foreach (var t in gau) t.Dispose();
                throw new InvalidDataException($"{path} holds {gau.Count} GAU transformers; a scorer serves exactly one.");
            }
            if (options.Engine is null && options.Device is null && options.Threads == 0) return gau[0].Model; // as saved
            package = gau[0].Model.Package;
            gau[0].Dispose(); // reloaded below with the engine, device or threads asked for
        }
        else
        {
            throw new FileNotFoundException($"No GAU model at {Path.GetFullPath(path)} (expected an ML.NET model .zip or a model directory).", path);
        }

        var factory = GauEngines.For(package, options.Engine);
        if (options.Engine is not null && !string.Equals(factory.Name, options.Engine, StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException(
                $"The {options.Engine} engine is not installed (reference GauMLNet for torchsharp, GauMLNet.Onnx for onnxruntime); installed: {string.Join(", ", GauEngines.Registered)}.");
        string device = options.Device ?? (string.Equals(factory.Name, package.Spec.Engine, StringComparison.OrdinalIgnoreCase) ? package.Spec.Device : "auto");
        var engine = factory.Create(package, new EngineOptions { Device = device, Threads = options.Threads, Precision = package.Spec.InferencePrecision });
        return new GauTaskModel(package, engine);
    }
}
