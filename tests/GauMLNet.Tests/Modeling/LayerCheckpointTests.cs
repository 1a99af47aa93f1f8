using GauMLNet.Configuration;
using GauMLNet.Tests.MLNet;
using GauMLNet.TorchSharp.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

[Collection(GlobalTorchRngCollection.Name)]
public class LayerCheckpointTests
{
    private static readonly GauAlphaConfig Config = new()
    {
        VocabSize = 50,
        HiddenSize = 32,
        EmbeddingSize = 32,
        IntermediateSize = 48,
        AttentionKeySize = 16,
        NumHiddenLayers = 3,
        HiddenDropoutProb = 0.1,
        AttentionProbsDropoutProb = 0.1,
    };

    // Gradients of every parameter after one training-mode backward pass with a fixed dropout seed, in fp32 or in bf16.
    private static Dictionary<string, float[]> Gradients(bool checkpointing, int frozenLayers, ScalarType type = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        using var model = new GauAlphaModel(Config with { GradientCheckpointing = checkpointing });
        using (var generator = new Generator(7)) ParameterInitialization.Apply(model, Config, generator);
        model.to(type);
        foreach (var p in model.Embeddings.parameters()) p.requires_grad = frozenLayers == 0;
        foreach (var layer in model.Layers.Take(frozenLayers))
            foreach (var p in layer.parameters()) p.requires_grad = false;
        model.train();
        var ids = randint(1, 50, [2, 13], generator: new Generator(3));
        var mask = ones_like(ids);
        mask[1, TensorIndex.Slice(9)] = 0;
        manual_seed(11);
        var hidden = model.call(ids, zeros_like(ids), mask);
        (hidden.to(ScalarType.Float32) * linspace(-1, 1, 32)).sum().backward();
        return model.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.to(ScalarType.Float32).data<float>().ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void CheckpointedLayersGiveExactlyThePlainGradientsWithDropout(int frozenLayers)
    {
        int before = LayerCheckpoint.RecomputedLayers;
        var plain = Gradients(checkpointing: false, frozenLayers);
        Assert.Equal(before, LayerCheckpoint.RecomputedLayers);
        var recomputed = Gradients(checkpointing: true, frozenLayers);
        // Every layer whose input needs a gradient is recomputed: all 3, or the 1 above the first trainable one.
        Assert.Equal(frozenLayers == 0 ? 3 : 1, LayerCheckpoint.RecomputedLayers - before);
        Assert.Equal(plain.Keys.Order(), recomputed.Keys.Order());
        Assert.Equal(frozenLayers == 0 ? 2 + 4 * 3 : 4 * 2, plain.Count); // embeddings (word, type) and 4 tensors per trainable layer
        foreach (var (name, gradient) in plain)
        {
            Assert.True(gradient.Any(g => g != 0), $"{name} has a zero gradient");
            Assert.Equal(gradient, recomputed[name]);
        }
    }

    /// <summary>bf16 training (the mixed-precision working copy) with gradient checkpointing: the recomputed layers replay the same bf16 pass.</summary>
    [Fact]
    public void CheckpointedLayersGiveExactlyThePlainGradientsInBf16()
    {
        int before = LayerCheckpoint.RecomputedLayers;
        var plain = Gradients(checkpointing: false, frozenLayers: 0, ScalarType.BFloat16);
        var recomputed = Gradients(checkpointing: true, frozenLayers: 0, ScalarType.BFloat16);
        Assert.Equal(3, LayerCheckpoint.RecomputedLayers - before);
        Assert.Equal(plain.Keys.Order(), recomputed.Keys.Order());
        foreach (var (name, gradient) in plain)
        {
            Assert.True(gradient.Any(g => g != 0), $"{name} has a zero gradient");
            Assert.Equal(gradient, recomputed[name]);
        }
    }

    [Fact]
    public void TheRandomStreamAfterACheckpointedStepIsTheSameAsAfterAPlainOne()
    {
        float Next(bool checkpointing)
        {
            Gradients(checkpointing, frozenLayers: 0);
            return rand(1).item<float>();
        }
        Assert.Equal(Next(false), Next(true));
    }
}
