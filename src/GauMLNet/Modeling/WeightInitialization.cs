using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

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
        double[] values = empty(weight.shape, ScalarType.Float64).uniform_(2 * lower - 1, 2 * upper - 1, generator).data<double>().ToArray();
        double scale = Math.Sqrt(2) * std, bound = 2 * std;
        // Each value on its own, so the result is the same however the chunks fall across threads.
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, values.Length), range =>
        {
            for (int i = range.Item1; i < range.Item2; i++) values[i] = Math.Clamp(InverseErf(values[i]) * scale, -bound, bound);
        });
        weight.copy_(tensor(values, ScalarType.Float64).view(weight.shape));
    }

    private static double NormalCdf(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!·(2n+1)); 26 terms reach double precision for |x| ≤ 1.5 (the 25th is
    // below 1e-17 there), which covers a ±2σ truncation (x ≤ √2). Abramowitz–Stegun 7.1.26 is too coarse here.
    private static readonly double[] ErfSeries = BuildErfSeries(26);
    private static readonly double TwoOverSqrtPi = 2 / Math.Sqrt(Math.PI);

    private static double[] BuildErfSeries(int terms)
    {
        var coefficients = new double[terms];
        double factorial = 1;
        for (int n = 0; n < terms; n++)
        {
            if (n > 0) factorial *= n;
            coefficients[n] = (n % 2 == 0 ? 1 : -1) / (factorial * (2 * n + 1));
        }
        return coefficients;
    }

    /// <summary>erf(x) for |x| ≤ 1.5, the series by Horner's rule in x².</summary>
    internal static double Erf(double x)
    {
        double x2 = x * x, sum = 0;
        for (int n = ErfSeries.Length - 1; n >= 0; n--) sum = sum * x2 + ErfSeries[n];
        return TwoOverSqrtPi * x * sum;
    }

    /// <summary>
    /// erf⁻¹(y) for |y| ≤ erf(1.5) (a ±2σ truncation needs up to erf(√2)): Winitzki's closed form (relative
    /// error ≤ 2e-3) refined by two steps of Halley's method on erf(x) − y, each of which triples the correct digits.
    /// </summary>
    internal static double InverseErf(double y)
    {
        if (!(Math.Abs(y) <= 0.9661)) throw new ArgumentOutOfRangeException(nameof(y), y, "InverseErf covers |y| ≤ erf(1.5) only.");
        if (y == 0) return 0;
        const double a = 0.147;
        double ln = Math.Log((1 - y) * (1 + y)), first = 2 / (Math.PI * a) + ln / 2;
        double x = Math.CopySign(Math.Sqrt(Math.Sqrt(first * first - ln / a) - first), y);
        for (int step = 0; step < 2; step++)
        {
            double ratio = (Erf(x) - y) / (TwoOverSqrtPi * Math.Exp(-x * x)); // f / f'
            x -= ratio / (1 + x * ratio); // Halley: f'' = −2x·f'
        }
        return x;
    }
}
