using GauMLNet.Engines;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Batches;
using GauMLNet.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Backend;

/// <summary>One padded batch through a task network, with no autograd graph: the raw head output as fp32 on the CPU.</summary>
internal static class TaskNetworkRunner
{
    public static EngineOutput Run(TaskNetwork network, PaddedBatch batch, Device device)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var tensors = TensorBatch.From(batch, device);
        var output = network.call(tensors.InputIds, tensors.TokenTypeIds, tensors.AttentionMask).to(ScalarType.Float32).cpu().contiguous();
        return new EngineOutput(output.data<float>().ToArray(), output.shape.Select(d => (int)d).ToArray());
    }
}
