using GauMLNet.Configuration;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

/// <summary>
/// The seed's claim that GAU-α needs no warmup: at initialization a GAU's output is about two
/// orders of magnitude below its input, and shrinks with a high power of a weight scale λ.
/// </summary>
public class InitializationAnalysisTests(ITestOutputHelper output)
{
    private static readonly GauAlphaConfig BaseWidthSquaredRelu = new()
    {
        HiddenSize = 768,
        EmbeddingSize = 768,
        IntermediateSize = 1536,
        AttentionKeySize = 128,
        NumHiddenLayers = 1,
        Normalization = "squared_relu",
        Initializer = "lecun_normal",
        HiddenDropoutProb = 0,
        AttentionProbsDropoutProb = 0,
    };

    [Fact]
    public void GauOutputIsTwoOrdersBelowItsInputAndShrinksWithAHighPowerOfTheWeightScale()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(2022);
        var config = BaseWidthSquaredRelu;
        using var gau = new GatedAttentionUnit(config);
        ParameterInitialization.Apply(gau, config, generator);
        gau.eval();

        const int n = 512;
        var x = randn([4, n, 768], generator: generator);
        var mask = ones(4, n, dtype: ScalarType.Bool);
        var rope = RotaryPositionEmbedding.Create(n, 128, CPU, ScalarType.Float32);
        double Rms(Tensor t) => t.square().mean().sqrt().item<float>();

        using var _ = no_grad();
        double ratio = Rms(gau.call(x, mask, rope)) / Rms(x);

        const double lambda = 0.5;
        gau.InputProjection.weight!.mul_(lambda);
        gau.OutputProjection.weight!.mul_(lambda);
        double scaledRatio = Rms(gau.call(x, mask, rope)) / Rms(x);
        double exponent = Math.Log(scaledRatio / ratio) / Math.Log(lambda);

        output.WriteLine($"RMS(GAU(x)) / RMS(x) = {ratio:F4} (seed estimate s·ν⁶/n ≈ 0.012); λ = 0.5 exponent = {exponent:F2} (seed estimate 7)");
        Assert.InRange(ratio, 0.005, 0.1);
        Assert.InRange(exponent, 6.0, 10.0);
    }

    [Fact]
    public void FortyEightLayerPostNormStackTrainsFromStepZeroWithoutWarmup() => AssertTrainsFromStepZero(TrainingPrecision.Float32);

    /// <summary>The same 48 layers in bf16 mixed precision: still no warmup needed (fp32 masters and Adam, bf16 passes).</summary>
    [Fact]
    public void FortyEightLayerPostNormStackTrainsFromStepZeroWithoutWarmupInBf16() => AssertTrainsFromStepZero(TrainingPrecision.BFloat16);

    private void AssertTrainsFromStepZero(TrainingPrecision precision)
    {
        using var generator = new Generator(7);
        torch.manual_seed(7);
        var config = new GauAlphaConfig
        {
            VocabSize = 32,
            HiddenSize = 32,
            EmbeddingSize = 32,
            IntermediateSize = 64,
            AttentionKeySize = 16,
            NumHiddenLayers = 48,
            HiddenDropoutProb = 0,
            AttentionProbsDropoutProb = 0,
        };
        using var model = new GauAlphaForMaskedLM(config);
        ParameterInitialization.Apply(model, model.Config, generator);
        model.train();
        // Constant from step 0: no warmup. Our AdamW (no decay: Adam), not TorchSharp's optimizers, whose steps pass temporary
        // Scalars that a collection can free mid-call (HeldScalars; a CI run failed here with "Unknown scalar type").
        using var optimizer = AdamW.ForTrainableParameters(model, 3e-3, weightDecay: 0);
        using var mixed = MixedPrecision.For(precision, model);

        // Toy task that needs attention and position: predict the previous token.
        var losses = new List<double>();
        for (int step = 0; step < 160; step++)
        {
            using var scope = NewDisposeScope();
            var network = mixed?.Sync() ?? model;
            var ids = randint(1, 32, [16, 16], generator: generator);
            var hidden = network.call(ids, zeros_like(ids), ones_like(ids));
            var logits = network.MlmLogits(hidden)[TensorIndex.Colon, TensorIndex.Slice(1, null)].to(ScalarType.Float32);
            var target = ids[TensorIndex.Colon, TensorIndex.Slice(0, -1)];
            var loss = nn.functional.cross_entropy(logits.reshape(-1, 32), target.reshape(-1));
            optimizer.ZeroGrad();
            loss.backward();
            mixed?.AccumulateGradients();
            optimizer.Step();
            losses.Add(loss.item<float>());
        }

        Assert.DoesNotContain(losses, l => double.IsNaN(l) || double.IsInfinity(l));
        var quarters = losses.Chunk(40).Select(c => c.Average()).ToArray();
        output.WriteLine($"{precision}: mean loss per quarter: " + string.Join(" → ", quarters.Select(q => q.ToString("F3"))));
        for (int i = 1; i < quarters.Length; i++) Assert.True(quarters[i] < quarters[i - 1], "loss did not fall steadily");
        Assert.True(quarters[^1] < 0.5 * quarters[0], $"loss fell only from {quarters[0]:F3} to {quarters[^1]:F3}");
    }
}
