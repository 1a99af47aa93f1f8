using GauMLNet.Clue;
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
            if (options.Engine is null && options.Device is null && options.Threads == 0 && NeedsNoChange(gau[0].Model.Spec, options))
                return gau[0].Model; // as saved
            package = gau[0].Model.Package;
            gau[0].Dispose(); // reloaded below with the engine, device or threads asked for
        }
        else
        {
            throw new FileNotFoundException($"No GAU model at {Path.GetFullPath(path)} (expected an ML.NET model .zip or a model directory).", path);
        }

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
