using GauMLNet.Text;

namespace GauMLNet.Engines;

/// <summary>
/// Runs a fitted GAU task network — encoder and task head — on padded batches. The seam between the
/// engine-agnostic ML.NET layer and a compute engine (TorchSharp, ONNX Runtime).
/// <list type="bullet">
/// <item>Input: one <see cref="PaddedBatch"/>, int64 [rows, length]; any rows ≥ 1 and length ≥ 1 (engines must not
/// assume a fixed shape). Batching, length bucketing and row order are the caller's (<see cref="Scoring.GauTaskModel"/>).</item>
/// <item>Output: fp32 raw head outputs (<see cref="EngineOutput"/>): logits, not probabilities; post-processing is the task model's.</item>
/// <item>Device, threads and precision are fixed when the engine is created (<see cref="EngineOptions"/>).</item>
/// <item>Thread safety: <see cref="Run"/> may be called from several threads at once.</item>
/// <item>Disposal releases native memory; the engine must not be used afterwards.</item>
/// </list>
/// </summary>
public interface IGauInferenceEngine : IDisposable
{
    /// <summary>e.g. "torchsharp fp32 on cpu" or "onnxruntime int8 (2 threads)".</summary>
    string Description { get; }

    /// <summary>
    /// One line for the user when the engine runs differently from what was asked (e.g. fp32 because this CPU would
    /// only emulate bf16), else null. Estimators and loaders log it; the CLI prints it.
    /// </summary>
    string? Notice => null;

    EngineOutput Run(PaddedBatch batch);
}
