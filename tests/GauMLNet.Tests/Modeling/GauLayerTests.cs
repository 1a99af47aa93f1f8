using GauMLNet.Configuration;
using GauMLNet.TorchSharp.Modeling;
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

    [Fact]
    public void ARowOutgrowsInferenceChunksWhenItsWidestTemporaryPassesGlibcs32MbCeiling()
    {
        var full = GauAlphaConfig.Base; // x·W_i: n · (2 · 1536 + 128) · 4 bytes; 3,200 · 2,621 · 4 = 33,548,800 ≤ 32 MB < 3,200 · 2,622 · 4
        Assert.False(GauLayerStack.RowOutgrowsInferenceChunks(full, 2621, 4));
        Assert.True(GauLayerStack.RowOutgrowsInferenceChunks(full, 2622, 4));
        Assert.True(GauLayerStack.RowOutgrowsInferenceChunks(full, 2622, 2)); // bf16 rows are counted at 4 bytes an element too, as the row chunks count them
        var narrow = full with { IntermediateSize = 64, AttentionKeySize = 16 }; // full attention's n² map is the widest: 2,897² · 4 > 32 MB
        Assert.False(GauLayerStack.RowOutgrowsInferenceChunks(narrow, 2896, 4));
        Assert.True(GauLayerStack.RowOutgrowsInferenceChunks(narrow, 2897, 4));
        Assert.False(GauLayerStack.RowOutgrowsInferenceChunks(narrow with { Attention = "mixed_chunk" }, 16384, 4)); // chunks of 256: 16,384 · 256 · 4
    }

    [Fact]
    public void InferenceInRowChunksGivesTheWholeBatchesOutputs()
    {
        using var scope = NewDisposeScope();
        using var stack = new GauLayerStack(Config with { NumHiddenLayers = 2 });
        ParameterInitialization.Apply(stack, Config with { Initializer = "lecun_normal" });
        stack.eval();
        var x = randn(5, 24, 32);
        var mask = ones(5, 24, dtype: ScalarType.Bool);
        mask[3, TensorIndex.Slice(10)] = false;
        using var _ = no_grad();
        var whole = stack.call(x, mask);
        // Widest temporary per row: max(2e + s, n) · n · 4 bytes = 112 · 24 · 4 = 10,752; a 2-row budget gives chunks of 2, 2 and 1 rows.
        int before = GauLayerStack.ChunkedInferences;
        stack.InferenceChunkBytes = 2 * 112 * 24 * 4;
        var chunked = stack.call(x, mask);
        Assert.Equal(before + 1, GauLayerStack.ChunkedInferences);
        Assert.Equal(whole.shape, chunked.shape);
        Assert.True(chunked.allclose(whole, rtol: 1e-5, atol: 1e-6), $"max |Δ| {(chunked - whole).abs().max().item<float>()}");
    }
}
