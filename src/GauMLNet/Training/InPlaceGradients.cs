using TorchSharp.Modules;

namespace GauMLNet.TorchSharp.Training;

/// <summary>Gradients zeroed in place, not dropped: bf16 training accumulates into the masters' (see MixedPrecision).</summary>
internal static class InPlaceGradients
{
    public static void Zero(IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters)
        {
            using var gradient = p.grad; // a wrapper of its own, held through the call
            gradient?.zero_();
        }
    }
}
