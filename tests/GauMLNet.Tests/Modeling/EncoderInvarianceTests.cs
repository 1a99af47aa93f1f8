using GauMLNet.Configuration;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

public class EncoderInvarianceTests
{
    [Fact]
    public void RealTokensDoNotChangeWhenASequenceIsPaddedFurther()
    {
        using var encoder = GauAlphaEncoder.Load(TestPaths.TinyModel, "cpu");
        long[] ids = [5, 17, 42, 99, 7, 3, 250, 11, 64];
        long[] types = [0, 0, 0, 0, 1, 1, 1, 1, 1];
        long[] Pad(long[] row, int extra) => [.. row, .. new long[extra]];
        long[] Mask(int real, int extra) => [.. Enumerable.Repeat(1L, real), .. new long[extra]];

        var tight = encoder.Encode([ids], [types], [Mask(ids.Length, 0)])[0];
        var loose = encoder.Encode([Pad(ids, 23)], [Pad(types, 23)], [Mask(ids.Length, 23)])[0];

        Assert.Equal(tight.LastHiddenState.Length, loose.LastHiddenState.Length);
        double max = tight.LastHiddenState.Zip(loose.LastHiddenState).Max(p => p.First.Zip(p.Second).Max(v => Math.Abs(v.First - v.Second)));
        Assert.True(max < 1e-5, $"padding changed real-token outputs by {max}");
    }

    [Fact]
    public void RopeLogitsDependOnlyOnRelativePosition()
    {
        using var scope = NewDisposeScope();
        var q = randn(1, 6, 32, dtype: ScalarType.Float64);
        var k = randn(1, 6, 32, dtype: ScalarType.Float64);
        Tensor Logits(long offset)
        {
            var rope = RotaryPositionEmbedding.Create(6, 32, CPU, ScalarType.Float64, firstPosition: offset);
            return rope.Apply(q).matmul(rope.Apply(k).transpose(-1, -2));
        }
        var atZero = Logits(0);
        var shifted = Logits(1000);
        Assert.True(atZero.allclose(shifted, rtol: 1e-9, atol: 1e-9), "shifting every position changed q·k");
        // And position does matter: rotating only q changes the logits.
        var rope0 = RotaryPositionEmbedding.Create(6, 32, CPU, ScalarType.Float64);
        var rope3 = RotaryPositionEmbedding.Create(6, 32, CPU, ScalarType.Float64, firstPosition: 3);
        Assert.False(rope3.Apply(q).matmul(rope0.Apply(k).transpose(-1, -2)).allclose(atZero, rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void RopeRotatesAdjacentPairs()
    {
        using var scope = NewDisposeScope();
        var rope = RotaryPositionEmbedding.Create(3, 4, CPU, ScalarType.Float64);
        var x = tensor(new double[] { 1, 2, 3, 4 }).expand(3, 4);
        var y = rope.Apply(x);
        // Position 2, pair (0, 1) has θ₀ = 1 rad: (1·cos2 − 2·sin2, 2·cos2 + 1·sin2).
        Assert.Equal(Math.Cos(2) - 2 * Math.Sin(2), y[2, 0].item<double>(), 12);
        Assert.Equal(2 * Math.Cos(2) + Math.Sin(2), y[2, 1].item<double>(), 12);
        // Pair (2, 3) has θ₁ = 10000^(-2/4) = 0.01 rad per position.
        double t = 2 * 0.01;
        Assert.Equal(3 * Math.Cos(t) - 4 * Math.Sin(t), y[2, 2].item<double>(), 12);
        Assert.Equal(4 * Math.Cos(t) + 3 * Math.Sin(t), y[2, 3].item<double>(), 12);
    }

    [Fact]
    public void RopeWorksPastFiveHundredTwelvePositions()
    {
        using var encoder = GauAlphaEncoder.Create(new GauAlphaConfig
        {
            VocabSize = 50,
            HiddenSize = 16,
            EmbeddingSize = 16,
            IntermediateSize = 32,
            AttentionKeySize = 8,
            NumHiddenLayers = 1,
        }, "cpu", seed: 1);
        using var scope = NewDisposeScope();
        var hidden = encoder.Forward(randint(0, 50, [1, 1500]));
        Assert.Equal([1L, 1500, 16], hidden.shape);
        Assert.False(hidden.isnan().any().item<bool>());
    }
}
