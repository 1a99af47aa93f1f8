using GauMLNet.Configuration;
using GauMLNet.Modeling;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

public class GauLayerTests
{
    private static readonly GauAlphaConfig Config = new()
    {
        HiddenSize = 32,
        EmbeddingSize = 32,
        IntermediateSize = 48,
        AttentionKeySize = 16,
        NumHiddenLayers = 1,
        HiddenDropoutProb = 0,
        AttentionProbsDropoutProb = 0,
    };

    [Fact]
    public void ALayerLeavesOnlyItsOutputInTheCallersScope()
    {
        using var scope = NewDisposeScope();
        using var layer = new GauLayer(Config);
        var x = randn(2, 9, 32);
        var mask = ones(2, 9, dtype: ScalarType.Bool);
        var rope = RotaryPositionEmbedding.Create(9, 16, CPU, ScalarType.Float32);
        int before = scope.DisposablesCount;
        using (no_grad()) layer.call(x, mask, rope);
        Assert.Equal(before + 1, scope.DisposablesCount);
    }

    [Fact]
    public void BackwardStillWorksAfterTheLayerFreedItsTemporaries()
    {
        using var scope = NewDisposeScope();
        using var layer = new GauLayer(Config);
        ParameterInitialization.Apply(layer, Config with { Initializer = "lecun_normal" });
        var x = randn(2, 9, 32, requires_grad: true);
        var mask = ones(2, 9, dtype: ScalarType.Bool);
        var rope = RotaryPositionEmbedding.Create(9, 16, CPU, ScalarType.Float32);
        var y = layer.call(layer.call(x, mask, rope), mask, rope);
        (y * randn_like(y)).sum().backward();
        foreach (var (name, p) in layer.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"{name} got a zero gradient");
            Assert.True(p.grad.isfinite().all().item<bool>(), $"{name} got a non-finite gradient");
        }
        Assert.True(x.grad!.abs().sum().item<float>() > 0);
    }
}
