using GauMLNet.Tasks;

namespace GauMLNet.Engines;

/// <summary>Creates engines for fitted models; one per compute engine, registered in <see cref="GauEngines"/>.</summary>
public interface IGauEngineFactory
{
    /// <summary>The engine's name as gau-task.json stores it: torchsharp, onnxruntime.</summary>
    string Name { get; }

    /// <summary>Whether this engine can score the package (e.g. it holds the weights format the engine reads).</summary>
    bool CanScore(GauModelPackage package);

    IGauInferenceEngine Create(GauModelPackage package, EngineOptions options);
}
