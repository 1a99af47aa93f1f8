using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Training;

/// <summary>An optimizer whose state is named tensors, which <see cref="TrainingCheckpoint"/> stores as safetensors.</summary>
public interface ICheckpointedOptimizer
{
    /// <summary>The state by name. Tensors made for the call belong to the caller's dispose scope.</summary>
    Dictionary<string, Tensor> StateDict();

    /// <summary>Restores a <see cref="StateDict"/>; <paramref name="source"/> names it in errors.</summary>
    void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, string source);
}
