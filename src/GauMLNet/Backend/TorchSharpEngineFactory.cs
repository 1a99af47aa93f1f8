using GauMLNet.Engines;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using GauMLNet.TorchSharp.Checkpoints;

namespace GauMLNet.TorchSharp.Backend;

/// <summary>Creates TorchSharp engines for fitted models: the task network rebuilt and its model.safetensors loaded (every name and shape checked).</summary>
public sealed class TorchSharpEngineFactory : IGauEngineFactory
{
    public const string EngineName = "torchsharp";

    public string Name => EngineName;

    public bool CanScore(GauModelPackage package) => package.Weights is not null;

    public IGauInferenceEngine Create(GauModelPackage package, EngineOptions options)
    {
        var spec = package.Spec;
        var network = TaskNetworkFactory.Create(spec, package.Config);
        try
        {
            using var weights = new MemoryStream(package.Weights ?? throw new InvalidDataException($"{package.Source}: {CheckpointFiles.WeightsFile} is missing."), writable: false);
            StateDictLoader.LoadStream(network, weights, $"{package.Source}/{CheckpointFiles.WeightsFile}");
            return new TorchSharpInferenceEngine(network, options);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
