using GauMLNet.Checkpoints;
using GauMLNet.Engines;
using GauMLNet.Modeling;
using GauMLNet.Storage;
using GauMLNet.Tasks;

namespace GauMLNet.Engine;

/// <summary>Creates TorchSharp engines for fitted models: the task network rebuilt and its model.safetensors loaded (every name and shape checked).</summary>
public sealed class TorchSharpEngineFactory : IGauEngineFactory
{
    public const string EngineName = "torchsharp";

    public string Name => EngineName;

    public bool CanScore(GauModelPackage package) => package.Weights is not null;

    public IGauInferenceEngine Create(GauModelPackage package, EngineOptions options)
    {
        var spec = package.Spec;
        TaskNetwork Build() => TaskNetworks.Create(spec, package.Config);
        var network = Build();
        try
        {
            using var weights = new MemoryStream(package.Weights ?? throw new InvalidDataException($"{package.Source}: {CheckpointFiles.WeightsFile} is missing."), writable: false);
            StateDictLoader.LoadStream(network, weights, $"{package.Source}/{CheckpointFiles.WeightsFile}");
            return new TorchSharpInferenceEngine(network, Build, options);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
