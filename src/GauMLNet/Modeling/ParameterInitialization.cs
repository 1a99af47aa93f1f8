using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>Applies a <see cref="WeightInitializer"/> to every parameter of a module by its role.</summary>
public static class ParameterInitialization
{
    public static void Apply(nn.Module module, GauAlphaConfig config, Generator? generator = null)
    {
        using var _ = no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            if (name.EndsWith("scaleoffset.weight", StringComparison.Ordinal)) p.fill_(HeldScalars.One);
            else if (name.Contains(".crf.", StringComparison.Ordinal)) p.zero_(); // a CRF starts with no preference between tags
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (p.dim() == 2)
            {
                // Linear weights are [out, in]; embeddings are [rows, width], and their "fan in" is the width.
                WeightInitialization.Initialize(p, p.shape[1], config.WeightInitializer, config.NumHiddenLayers, generator);
            }
            else throw new InvalidOperationException($"No initialization rule for parameter '{name}' of shape [{string.Join(", ", p.shape)}].");
        }
    }
}
