using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>How a freshly built encoder's matrices are drawn. Scales (γ) start at 1 and offsets at 0 under all three.</summary>
public enum WeightInitializer
{
    /// <summary>GAU-α's: truncated normal (±2σ), σ = 1.13684723/√fan_in · L^(-1/3). The constant undoes the truncation's shrinkage.</summary>
    GauAlpha,
    /// <summary>N(0, 0.02), as in the FLASH paper's code.</summary>
    Normal002,
    /// <summary>LeCun normal: N(0, 1/fan_in).</summary>
    LecunNormal,
}

public static class WeightInitialization
{
    /// <summary>Variance-restoring factor for a normal truncated at ±2σ.</summary>
    public const double TruncationCompensation = 1.13684723;

    /// <summary>Draws one matrix in place. fanIn is the input width (for embeddings, the embedding width).</summary>
    public static void Initialize(Tensor weight, long fanIn, WeightInitializer scheme, int numLayers, Generator? generator = null)
    {
        using var _ = no_grad();
        switch (scheme)
        {
            case WeightInitializer.GauAlpha:
                {
                    double std = TruncationCompensation / Math.Sqrt(fanIn) * Math.Pow(numLayers, -1.0 / 3.0);
                    nn.init.trunc_normal_(weight, 0.0, std, -2 * std, 2 * std, generator);
                    break;
                }
            case WeightInitializer.Normal002:
                nn.init.normal_(weight, 0.0, 0.02, generator);
                break;
            case WeightInitializer.LecunNormal:
                nn.init.normal_(weight, 0.0, 1.0 / Math.Sqrt(fanIn), generator);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown initializer.");
        }
    }
}
