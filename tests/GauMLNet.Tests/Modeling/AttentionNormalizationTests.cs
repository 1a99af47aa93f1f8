using GauMLNet.Configuration;
using GauMLNet.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

public class AttentionNormalizationTests
{
    [Fact]
    public void SoftmaxPlusIsPlainSoftmaxAtFiveHundredTwelveKeys()
    {
        using var scope = NewDisposeScope();
        var a = randn(2, 4, 512, dtype: ScalarType.Float64);
        var mask = ones(2, 512, dtype: ScalarType.Bool);
        var plus = AttentionNormalizer.Normalize(a, mask, AttentionNormalization.SoftmaxPlus);
        Assert.True(plus.allclose(a.softmax(-1), rtol: 1e-6, atol: 1e-7));
    }

    [Fact]
    public void SoftmaxPlusScalesLogitsByLogLOverLog512()
    {
        using var scope = NewDisposeScope();
        var mask = zeros(1, 200, dtype: ScalarType.Bool);
        mask[0, TensorIndex.Slice(0, 100)] = tensor(true);
        Assert.Equal(Math.Log(100) / Math.Log(512), AttentionNormalizer.SoftmaxPlusScale(mask).item<float>(), 5);

        var a = randn(1, 3, 200, dtype: ScalarType.Float64);
        var weights = AttentionNormalizer.Normalize(a, mask, AttentionNormalization.SoftmaxPlus);
        var expected = (a[TensorIndex.Ellipsis, TensorIndex.Slice(0, 100)] * (Math.Log(100) / Math.Log(512))).softmax(-1);
        Assert.True(weights[TensorIndex.Ellipsis, TensorIndex.Slice(0, 100)].allclose(expected, rtol: 1e-5, atol: 1e-7));
        Assert.Equal(0.0, weights[TensorIndex.Ellipsis, TensorIndex.Slice(100, 200)].abs().max().item<double>());
    }

    [Fact]
    public void SquaredReluDividesByTheUnmaskedKeyCount()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 2, -1, 3, 5 }).reshape(1, 1, 4);
        var mask = tensor(new[] { true, true, true, false }).reshape(1, 4);
        var weights = AttentionNormalizer.Normalize(a, mask, AttentionNormalization.SquaredRelu);
        Assert.Equal(new[] { 4.0 / 3, 0, 9.0 / 3, 0 }, weights.data<double>().ToArray());
    }

    public static TheoryData<string, bool> Variants => new()
    {
        { "softmax_plus", true }, { "softmax", true }, { "squared_relu", true }, { "softmax_plus", false }, { "softmax", false },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void FusedAttentionAgreesWithTheExplicitReference(string normalization, bool attentionScale)
    {
        using var scope = NewDisposeScope();
        var config = new GauAlphaConfig
        {
            HiddenSize = 32,
            EmbeddingSize = 32,
            IntermediateSize = 48,
            AttentionKeySize = 16,
            NumHiddenLayers = 1,
            Normalization = normalization,
            AttentionScale = attentionScale,
        };
        using var gau = new GatedAttentionUnit(config);
        ParameterInitialization.Apply(gau, config with { Initializer = "lecun_normal" });
        gau.eval();
        var x = randn(3, 11, 32);
        var mask = tensor(new long[] { 11, 7, 2 }).unsqueeze(1).gt(arange(11).unsqueeze(0)); // lengths 11, 7, 2
        var rope = RotaryPositionEmbedding.Create(11, 16, CPU, ScalarType.Float32);
        using var _ = no_grad();
        var fused = gau.call(x, mask, rope);
        var reference = gau.ForwardReference(x, mask, rope);
        double diff = (fused - reference).abs().max().item<float>();
        Assert.True(diff < 1e-5, $"fused and explicit attention differ by {diff}");

        gau.ForcesExplicitAttention = true; // the benchmarks' switch must route Forward through the explicit path
        Assert.Equal(0.0, (gau.call(x, mask, rope) - reference).abs().max().item<float>());
    }
}
