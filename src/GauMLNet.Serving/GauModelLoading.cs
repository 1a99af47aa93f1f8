using GauMLNet.MLNet;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using Microsoft.ML;

namespace GauMLNet.Serving;

/// <summary>Loads what a scorer serves from an ML.NET model file (the whole saved pipeline) or a model directory.</summary>
public static class GauModelLoading
{
    public static GauServedModel Load(GauScoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string path = options.ModelPath;
        if (Directory.Exists(path)) return new GauServedModel(LoadPackage(GauModelPackage.LoadDirectory(path), options), pipeline: null);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No GAU model at {Path.GetFullPath(path)} (expected an ML.NET model .zip or a model directory).", path);

        var (model, inputSchema) = LoadFile(path, options);
        var transforms = GauServingPipeline.Flatten(model);
        var gau = transforms.OfType<GauTransformerBase>().ToList();
        if (gau.Count != 1)
        {
            foreach (var t in gau) t.Dispose();
            throw new InvalidDataException($"{path} holds {gau.Count} GAU transformers; a scorer serves exactly one.");
        }
        if (gau[0].Models.Count > 1)
        {
            gau[0].Dispose();
            throw new InvalidDataException($"{path} averages {gau[0].Models.Count} networks; a scorer serves exactly one.");
        }
        GauTaskModel served;
        if (options.Engine is null && options.Device is null && options.Threads == 0 && NeedsNoChange(gau[0].Model.Spec, options))
        {
            served = gau[0].Model; // as saved
        }
        else
        {
            var package = gau[0].Model.Package;
            gau[0].Dispose(); // reloaded with the engine, device, threads or task asked for
            served = LoadPackage(package, options);
        }
        if (transforms.Count == 1) return new GauServedModel(served, pipeline: null); // the GAU transformer alone: the fast path
        try
        {
            return new GauServedModel(served, GauServingPipeline.Create(path, transforms, transforms.IndexOf(gau[0]), served, inputSchema, options));
        }
        catch
        {
            served.Dispose();
            throw;
        }
    }

    private static (ITransformer Model, DataViewSchema? InputSchema) LoadFile(string path, GauScoringOptions options)
    {
        var context = options.MLContext ?? new MLContext();
        foreach (var assembly in options.ComponentAssemblies) context.ComponentCatalog.RegisterAssembly(assembly);
        try
        {
            var model = context.Model.LoadGauModel(path, out var inputSchema);
            return (model, inputSchema);
        }
        catch (Exception ex) when (ex is not (InvalidDataException or IOException or OutOfMemoryException))
        {
            // Not damage: a transform this application cannot construct, typically a CustomMapping whose factory is unknown here.
            string reason = ex.GetBaseException().Message; // ML.NET nests the cause in "Error during class instantiation" wrappers
            throw new InvalidOperationException(
                $"{path}: the saved pipeline holds a transform this application cannot load: {reason} A CustomMapping loads only when the assembly of its " +
                "[CustomMappingFactoryAttribute] factory is registered: add it to GauScoringOptions.ComponentAssemblies or give GauScoringOptions.MLContext a context that has it.", ex);
        }
    }

    private static GauTaskModel LoadPackage(GauModelPackage package, GauScoringOptions options)
    {
        if (!NeedsNoChange(package.Spec, options)) package = EncoderOnly(package);
        return GauTaskModel.Load(package, options.Device, options.Engine, options.Threads);
    }

    private static bool NeedsNoChange(GauTaskSpec spec, GauScoringOptions options) => options.Task is null || options.Task == spec.Task;

    /// <summary>
    /// The same model as an embedding model: the encoder's weights only (the task head and any engine graph of the head
    /// dropped), pooled as the task head pooled.
    /// </summary>
    public static GauModelPackage EncoderOnly(GauModelPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        if (package.Spec.Task == GauTask.Embedding) return package;
        var weights = package.Weights ?? throw new InvalidDataException($"{package.Source} holds no weights to take the encoder from.");
        var encoder = Storage.SafeTensorsFile.Read(weights, package.Source, name => name.StartsWith(Storage.CheckpointFiles.BackbonePrefix, StringComparison.Ordinal));
        var spec = package.Spec with
        {
            Task = GauTask.Embedding,
            LabelColumn = null,
            Labels = null,
            OutputColumns = ["Features"],
            Outputs = package.Config.HiddenSize,
        };
        return GauModelPackage.Create(spec, package.Config, package.VocabText, Storage.SafeTensorsFile.ToBytes(encoder), source: package.Source + " (encoder)");
    }
}
