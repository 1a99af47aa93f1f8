using GauMLNet.Configuration;
using GauMLNet.Storage;

namespace GauMLNet.Onnx.Tests.Support;

/// <summary>
/// A plain C# GAU-α forward pass in double, written from the TorchSharp modeling code's definitions (not from the
/// exporter's graph): the reference the graph is checked against for every config variant. Rows with no real token
/// are left NaN, as the reference (−∞ masking) leaves them.
/// </summary>
internal sealed class ReferenceGau(GauAlphaConfig c, IReadOnlyDictionary<string, RawTensor> tensors)
{
    private float[] W(string name) => tensors[name].ToFloat32(name);

    /// <summary>Last hidden states [rows][length][d].</summary>
    public double[][][] Hidden(long[][] ids, long[][] types, long[][] mask)
    {
        int d = c.HiddenSize, e = c.IntermediateSize, s = c.AttentionKeySize, n = ids[0].Length;
        var word = W("gau_alpha.embeddings.word_embeddings.weight");
        var segment = W("gau_alpha.embeddings.token_type_embeddings.weight");
        var result = new double[ids.Length][][];
        for (int b = 0; b < ids.Length; b++)
        {
            var x = new double[n][];
            for (int t = 0; t < n; t++)
                x[t] = RmsNorm(Enumerable.Range(0, d).Select(j => (double)word[ids[b][t] * d + j] + segment[types[b][t] * d + j]).ToArray());
            var keys = mask[b].Select(m => m != 0).ToArray();
            int real = keys.Count(k => k);
            for (int layer = 0; layer < c.NumHiddenLayers; layer++)
                x = Layer(x, keys, real, $"gau_alpha.encoder.layer.{layer}.gau.", d, e, s);
            result[b] = x;
        }
        return result;
    }

    private double[][] Layer(double[][] x, bool[] keys, int real, string p, int d, int e, int s)
    {
        int n = x.Length;
        var wi = W(p + "i_dense.weight");
        var wo = W(p + "o_dense.weight");
        var bi = c.UseBias ? W(p + "i_dense.bias") : null;
        var bo = c.UseBias ? W(p + "o_dense.bias") : null;
        var gq = W(p + "q_scaleoffset.weight");
        var gk = W(p + "k_scaleoffset.weight");
        var bq = c.UseBias ? W(p + "q_scaleoffset.bias") : null;
        var bk = c.UseBias ? W(p + "k_scaleoffset.bias") : null;
        var u = new double[n][];
        var v = new double[n][];
        var q = new double[n][];
        var k = new double[n][];
        for (int t = 0; t < n; t++)
        {
            var uvz = new double[2 * e + s];
            for (int o = 0; o < uvz.Length; o++)
            {
                double sum = bi?[o] ?? 0;
                for (int j = 0; j < d; j++) sum += wi[o * d + j] * x[t][j];
                uvz[o] = Activation(sum);
            }
            u[t] = uvz[..e];
            v[t] = uvz[e..(2 * e)];
            var z = uvz[(2 * e)..];
            q[t] = Rope(z.Select((zi, i) => zi * gq[i] + (bq?[i] ?? 0)).ToArray(), t);
            k[t] = Rope(z.Select((zi, i) => zi * gk[i] + (bk?[i] ?? 0)).ToArray(), t);
        }
        double l = Math.Max(real, 1);
        var output = new double[n][];
        for (int i = 0; i < n; i++)
        {
            var a = new double[n];
            for (int j = 0; j < n; j++)
            {
                a[j] = q[i].Zip(k[j], (qi, kj) => qi * kj).Sum();
                if (c.AttentionScale) a[j] /= Math.Sqrt(s);
            }
            var weights = Normalize(a, keys, l);
            var gated = new double[e];
            for (int m = 0; m < e; m++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++) sum += weights[j] * v[j][m];
                gated[m] = u[i][m] * sum;
            }
            var y = new double[d];
            for (int o = 0; o < d; o++)
            {
                double sum = bo?[o] ?? 0;
                for (int m = 0; m < e; m++) sum += wo[o * e + m] * gated[m];
                y[o] = x[i][o] + sum;
            }
            output[i] = RmsNorm(y);
        }
        return output;
    }

    private double[] Normalize(double[] a, bool[] keys, double l)
    {
        int n = a.Length;
        switch (c.AttentionNormalization)
        {
            case AttentionNormalization.SquaredRelu:
                return a.Select((x, j) => keys[j] ? Math.Pow(Math.Max(x, 0), 2) / l : 0).ToArray();
            default:
                double factor = c.AttentionNormalization == AttentionNormalization.SoftmaxPlus ? Math.Log(l) / Math.Log(512) : 1;
                var scaled = a.Select((x, j) => keys[j] ? x * factor : double.NegativeInfinity).ToArray();
                double max = scaled.Max();
                var exp = scaled.Select(x => Math.Exp(x - max)).ToArray();
                double total = exp.Sum();
                return exp.Select(x => x / total).ToArray();
        }
    }

    private double Activation(double x) => c.HiddenAct switch
    {
        "swish" or "silu" => x / (1 + Math.Exp(-x)),
        "gelu" => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        "relu" => Math.Max(x, 0),
        _ => throw new ArgumentException(c.HiddenAct),
    };

    private static double[] Rope(double[] x, int position)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length / 2; i++)
        {
            double theta = position * Math.Pow(10000, -2.0 * i / x.Length);
            double cos = Math.Cos(theta), sin = Math.Sin(theta);
            y[2 * i] = x[2 * i] * cos - x[2 * i + 1] * sin;
            y[2 * i + 1] = x[2 * i + 1] * cos + x[2 * i] * sin;
        }
        return y;
    }

    private double[] RmsNorm(double[] x)
    {
        double meanSquare = x.Sum(v => v * v) / x.Length;
        return x.Select(v => v / Math.Sqrt(meanSquare + c.LayerNormEps)).ToArray();
    }

    /// <summary>Pools [length][d] as <see cref="SequencePooling"/> says.</summary>
    public static double[] Pool(double[][] hidden, long[] mask, SequencePooling pooling)
    {
        if (pooling == SequencePooling.First) return hidden[0];
        int d = hidden[0].Length;
        var sum = new double[d];
        double count = 0;
        for (int t = 0; t < hidden.Length; t++)
        {
            if (mask[t] == 0) continue;
            count++;
            for (int j = 0; j < d; j++) sum[j] += hidden[t][j];
        }
        return sum.Select(v => v / Math.Max(count, 1)).ToArray();
    }

    /// <summary>x·Wᵀ + b for head.classifier.</summary>
    public double[] Classifier(double[] pooled)
    {
        var w = W("head.classifier.weight");
        var bias = W("head.classifier.bias");
        return bias.Select((b, o) => b + pooled.Select((p, j) => p * w[o * pooled.Length + j]).Sum()).ToArray();
    }

    // erf from the Chebyshev fit of erfc (Numerical Recipes), fractional error < 1.2e-7 everywhere.
    private static double Erf(double x)
    {
        double t = 1 / (1 + 0.5 * Math.Abs(x));
        double y = 1 - t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }
}
