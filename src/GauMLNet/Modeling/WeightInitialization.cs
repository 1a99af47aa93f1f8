using GauMLNet.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.Modeling;

/// <summary>Draws weights as a <see cref="WeightInitializer"/> says.</summary>
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
                    TruncatedNormal(weight, std, generator);
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

    /// <summary>
    /// N(0, std²) truncated at ±2·std, by inverting the normal CDF on a uniform draw. TorchSharp
    /// 0.107's nn.init.trunc_normal_ fills the tensor with a constant, so it is not used.
    /// </summary>
    public static void TruncatedNormal(Tensor weight, double std, Generator? generator = null)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        double lower = NormalCdf(-2), upper = NormalCdf(2);
        using Scalar scale = Math.Sqrt(2) * std, min = -2 * std, max = 2 * std; // held to the end (see HeldScalars)
        var u = empty(weight.shape, ScalarType.Float64).uniform_(2 * lower - 1, 2 * upper - 1, generator);
        weight.copy_(special.erfinv(u).mul(scale).clamp(min, max));
    }

    private static double NormalCdf(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    // Abramowitz–Stegun 7.1.26 is too coarse here; use the series, exact to double precision for |x| ≤ 3.
    private static double Erf(double x)
    {
        double sum = x, term = x, x2 = x * x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
