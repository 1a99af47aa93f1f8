using GauMLNet.Configuration;
using GauMLNet.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

public class WeightInitializationTests
{
    [Fact]
    public void TruncatedNormalHasTheRequestedSpreadAndBounds()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var w = empty(400, 500);
        WeightInitialization.TruncatedNormal(w, 0.1, generator);
        Assert.True(w.abs().max().item<float>() <= 0.2f + 1e-6f);
        // A normal truncated at ±2σ keeps 0.8796 of its standard deviation.
        Assert.InRange(w.std().item<float>() / (0.1 * 0.8796), 0.99, 1.01);
        Assert.InRange(w.mean().item<float>(), -0.001, 0.001);
        Assert.True(w.unique().output.shape[0] > 1000, "values are not random");
    }

    [Fact]
    public void GauAlphaInitializerRestoresTheUntruncatedStandardDeviation()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(17);
        var w = empty(1536 * 2, 768);
        WeightInitialization.Initialize(w, fanIn: 768, WeightInitializer.GauAlpha, numLayers: 24, generator);
        double expected = 1 / Math.Sqrt(768) * Math.Pow(24, -1.0 / 3);
        Assert.InRange(w.std().item<float>() / expected, 0.99, 1.01); // 2.4M draws: the spread is far inside 1%
    }

    [Fact]
    public void EveryLayerGetsItsOwnDrawAndScalesStartAtOne()
    {
        var config = GauAlphaConfig.Tiny;
        using var model = new GauAlphaForMaskedLM(config);
        using var generator = new Generator(11);
        ParameterInitialization.Apply(model, model.Config, generator);
        var state = model.state_dict();
        Assert.False(state["gau_alpha.encoder.layer.0.gau.i_dense.weight"].allclose(state["gau_alpha.encoder.layer.1.gau.i_dense.weight"]));
        Assert.True(state["gau_alpha.encoder.layer.0.gau.q_scaleoffset.weight"].eq(1).all().item<bool>());
    }

    [Fact]
    public void TheManagedInverseErfAgreesWithLibtorchsToDoublePrecision()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        var y = empty(20_000, ScalarType.Float64).uniform_(-0.9545, 0.9545, generator);
        double[] ys = y.data<double>().ToArray(), reference = special.erfinv(y).data<double>().ToArray();
        double worst = 0;
        for (int i = 0; i < ys.Length; i++)
            worst = Math.Max(worst, Math.Abs(WeightInitialization.InverseErf(ys[i]) - reference[i]) / Math.Max(1e-300, Math.Abs(reference[i])));
        Assert.True(worst < 1e-13, $"worst relative difference {worst:E2}");
        foreach (double x in new[] { 1e-9, 0.3, 1.0, 1.4142 })
            Assert.Equal(x, WeightInitialization.InverseErf(WeightInitialization.Erf(x)), 1e-14);
        Assert.Equal(0.0, WeightInitialization.InverseErf(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightInitialization.InverseErf(0.999));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightInitialization.InverseErf(double.NaN));
    }
}
