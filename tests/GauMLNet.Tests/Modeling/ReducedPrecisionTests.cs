using GauMLNet.Configuration;
using GauMLNet.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

/// <summary>The fp32 islands of bf16 mixed precision inside the model: RMSNorm's statistic and the attention normalization.</summary>
public class ReducedPrecisionTests
{
    [Fact]
    public void RmsNormOfBf16ComputesInFp32AndRoundsOnce()
    {
        using var scope = NewDisposeScope();
        var norm = new RmsNorm(1e-12);
        // Large, nearly equal values: a bf16 sum of squares would lose their differences.
        var x = (300 + randn(4, 7, 768, generator: new Generator(1))).to(ScalarType.BFloat16);
        var y = norm.call(x);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        var expected = norm.call(x.to(ScalarType.Float32)).to(ScalarType.BFloat16);
        Assert.True(y.eq(expected).all().item<bool>(), "bf16 RMSNorm differs from the fp32 computation rounded once");
        // fp32 input: unchanged, fp32 out.
        Assert.Equal(ScalarType.Float32, norm.call(x.to(ScalarType.Float32)).dtype);
    }

    [Theory]
    [InlineData("softmax_plus", true)]
    [InlineData("softmax_plus", false)]
    [InlineData("softmax", true)]
    [InlineData("squared_relu", true)]
    public void Bf16AttentionAgreesWithItsReferenceAndWithFp32(string normalization, bool attentionScale)
    {
        using var scope = NewDisposeScope();
        var config = new GauAlphaConfig
        {
            HiddenSize = 64,
            EmbeddingSize = 64,
            IntermediateSize = 96,
            AttentionKeySize = 32,
            NumHiddenLayers = 1,
            Normalization = normalization,
            AttentionScale = attentionScale,
            HiddenDropoutProb = 0,
            AttentionProbsDropoutProb = 0,
        };
        using var gau = new GatedAttentionUnit(config);
        ParameterInitialization.Apply(gau, config with { Initializer = "lecun_normal" }, new Generator(2));
        gau.eval();
        var x = randn(3, 40, 64, generator: new Generator(3));
        var mask = ones(3, 40, dtype: ScalarType.Bool);
        mask[1, TensorIndex.Slice(25)] = false;
        mask[2, TensorIndex.Slice(1)] = false; // one real token: softmax_plus's factor is log 1 = 0 there
        using var _ = no_grad();
        var fp32 = gau.call(x, mask, RotaryPositionEmbedding.Create(40, 32, CPU, ScalarType.Float32));

        gau.to(ScalarType.BFloat16);
        var xb = x.to(ScalarType.BFloat16);
        var rope = RotaryPositionEmbedding.Create(40, 32, CPU, ScalarType.BFloat16);
        var fast = gau.call(xb, mask, rope);
        var reference = gau.ForwardReference(xb, mask, rope);
        Assert.Equal(ScalarType.BFloat16, fast.dtype);
        Assert.True(fast.isfinite().all().item<bool>());
        double Relative(Tensor a, Tensor b) => ((a.to(ScalarType.Float32) - b).square().mean().sqrt() / b.square().mean().sqrt()).item<float>();
        // The fast path and the reference differ only in where the fp32 scale is applied (a few fp32 ulps, then one bf16 rounding
        // of the output): within 2 bf16 ulps (2⁻⁷) of each other. Both are within 3% RMS of fp32 — about ten bf16 roundings of
        // relative size ≤ 2⁻⁹ sit between the input and the output, and the logits' rounding is amplified by the softmax.
        Assert.True(Relative(fast, reference.to(ScalarType.Float32)) < 1.0 / 128, $"fast vs reference: {Relative(fast, reference.to(ScalarType.Float32)):P2}");
        Assert.True(Relative(fast, fp32) < 0.03, $"bf16 vs fp32: {Relative(fast, fp32):P2}");
    }
}
