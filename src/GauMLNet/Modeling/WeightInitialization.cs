using GauMLNet.Configuration;
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
    /// 0.107's nn.init.trunc_normal_ fills the tensor with a constant, so it is not used. The inversion runs here rather
    /// than in libtorch's erfinv, which hands the work to MKL's vector math: with its AVX-512 kernels the last bits of a
    /// result depend on how the array was split among threads, and the initial weights must be the same in every run.
    /// </summary>
    public static void TruncatedNormal(Tensor weight, double std, Generator? generator = null)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        double lower = NormalCdf(-2), upper = NormalCdf(2);
        double[] uniform = empty(weight.shape, ScalarType.Float64).uniform_(2 * lower - 1, 2 * upper - 1, generator).data<double>().ToArray();
        double scale = Math.Sqrt(2) * std, bound = 2 * std;
        var drawn = new double[uniform.Length];
        for (int i = 0; i < drawn.Length; i++) drawn[i] = Math.Clamp(InverseErf(uniform[i]) * scale, -bound, bound);
        weight.copy_(tensor(drawn, ScalarType.Float64).view(weight.shape));
    }

    private static double NormalCdf(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    // Abramowitz–Stegun 7.1.26 is too coarse here; use the Maclaurin series, exact to double precision for |x| ≤ 3.
    internal static double Erf(double x)
    {
        double sum = x, term = x, x2 = x * x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            double next = term / (2 * n + 1);
            sum += next;
            if (Math.Abs(next) < 1e-17 * Math.Abs(sum)) break;
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    /// <summary>
    /// erf⁻¹(y) for |y| ≤ erf(2) (arguments up to 2, all a ±2σ truncation needs): Winitzki's closed form (error ~2e-3)
    /// refined by Halley's method on erf(x) − y, which triples the correct digits per step.
    /// </summary>
    internal static double InverseErf(double y)
    {
        if (!(Math.Abs(y) <= 0.9953)) throw new ArgumentOutOfRangeException(nameof(y), y, "InverseErf covers |y| ≤ erf(2) only.");
        if (y == 0) return 0;
        const double a = 0.147;
        double ln = Math.Log((1 - y) * (1 + y)), first = 2 / (Math.PI * a) + ln / 2;
        double x = Math.CopySign(Math.Sqrt(Math.Sqrt(first * first - ln / a) - first), y);
        for (int step = 0; step < 4; step++)
        {
            double ratio = (Erf(x) - y) / (2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x)); // f / f'
            double delta = ratio / (1 + x * ratio); // Halley: f'' = −2x·f'
            x -= delta;
            if (Math.Abs(delta) <= 1e-16 * Math.Abs(x)) break;
        }
        return x;
    }
}
