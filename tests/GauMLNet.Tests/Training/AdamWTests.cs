using TorchSharp.Modules;
using static TorchSharp.torch;
using AdamW = GauMLNet.TorchSharp.Training.AdamW;

namespace GauMLNet.Tests.Training;

/// <summary>Our AdamW replaces TorchSharp's (whose step makes temporary Scalars): the same numbers, and a state that round-trips.</summary>
public class AdamWTests
{
    private const double Decay = 0.01;

    // Two matrices and a scale, as fine-tuning groups them: decay on matrices only. The scale gets no gradient at
    // step 2, so per-parameter step counts diverge, as they do for a head that misses a batch.
    private static (Parameter[] Parameters, Tensor[][] Gradients) Problem()
    {
        var generator = new global::TorchSharp.torch.Generator(7);
        var parameters = new[] { new Parameter(randn(3, 4, generator: generator)), new Parameter(randn(4, 2, generator: generator)), new Parameter(randn(4, generator: generator)) };
        var gradients = Enumerable.Range(0, 6).Select(step => parameters.Select(p => randn(p.shape, generator: generator) * Magnitude(step + 1)).ToArray()).ToArray();
        return (parameters, gradients);
    }

    // Gradients of growing size, so bias correction and ε both matter.
    private static Tensor Magnitude(int step) => tensor((float)Math.Pow(10, step - 4));

    private static void Apply(Parameter[] parameters, Tensor[] gradients, int step)
    {
        for (int i = 0; i < parameters.Length; i++)
            parameters[i].grad = i == 2 && step == 2 ? null : gradients[i].clone();
    }

    private static AdamW Ours(Parameter[] p, double lr) => new([("a", p[0], Decay), ("b", p[1], Decay), ("gamma", p[2], 0.0)], lr);

    [Fact]
    public void StepsMatchTorchSharpsAdamWBitForBit()
    {
        var (mine, gradients) = Problem();
        var (theirs, _) = Problem();
        using var ours = Ours(mine, 1e-3);
        using var reference = optim.AdamW([
            new global::TorchSharp.Modules.AdamW.ParamGroup(theirs[..2], new global::TorchSharp.Modules.AdamW.Options { LearningRate = 1e-3, weight_decay = Decay }),
            new global::TorchSharp.Modules.AdamW.ParamGroup(theirs[2..], new global::TorchSharp.Modules.AdamW.Options { LearningRate = 1e-3, weight_decay = 0 }),
        ], 1e-3);
        for (int step = 0; step < gradients.Length; step++)
        {
            double lr = 1e-3 * (1 - step / 10.0); // a schedule changes the rate between steps
            ours.LearningRate = lr;
            foreach (var group in reference.ParamGroups) group.LearningRate = lr;
            Apply(mine, gradients[step], step);
            Apply(theirs, gradients[step], step);
            ours.Step();
            reference.step();
        }
        for (int i = 0; i < mine.Length; i++)
        {
            Assert.False(mine[i].eq(Problem().Parameters[i]).all().item<bool>(), $"parameter {i} did not move");
            Assert.True(mine[i].eq(theirs[i]).all().item<bool>(), $"parameter {i}: max |Δ| {(mine[i] - theirs[i]).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void AResumedOptimizerContinuesExactlyAsAnUninterruptedOne()
    {
        var (straight, gradients) = Problem();
        var (resumed, _) = Problem();
        using var uninterrupted = Ours(straight, 1e-2);
        for (int step = 0; step < gradients.Length; step++)
        {
            Apply(straight, gradients[step], step);
            uninterrupted.Step();
        }

        byte[] saved;
        using (var first = Ours(resumed, 1e-2))
        {
            for (int step = 0; step < 3; step++)
            {
                Apply(resumed, gradients[step], step);
                first.Step();
            }
            using (NewDisposeScope()) saved = GauMLNet.TorchSharp.Checkpoints.SafeTensors.ToBytes(first.StateDict());
        }
        using var second = Ours(resumed, 1e-2);
        var state = GauMLNet.TorchSharp.Checkpoints.SafeTensors.Load(new MemoryStream(saved), "saved", out _);
        second.LoadStateDict(state, "saved");
        for (int step = 3; step < gradients.Length; step++)
        {
            Apply(resumed, gradients[step], step);
            second.Step();
        }
        for (int i = 0; i < straight.Length; i++) Assert.True(straight[i].eq(resumed[i]).all().item<bool>(), $"parameter {i} differs after the resume");
    }

    [Fact]
    public void AStateThatDoesNotFitIsRefusedNamingTheEntry()
    {
        var (parameters, gradients) = Problem();
        using var optimizer = Ours(parameters, 1e-3);
        Apply(parameters, gradients[0], 0);
        optimizer.Step();
        Dictionary<string, Tensor> Saved() => optimizer.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var before = Saved();
        var wrongShape = Saved();
        wrongShape["a.exp_avg"] = ones(3, 4); // fits, but comes with an entry that does not
        wrongShape["b.exp_avg"] = zeros(2, 4);
        Assert.Contains("'b.exp_avg' has shape [2, 4]", Assert.Throws<InvalidDataException>(() => optimizer.LoadStateDict(wrongShape, "ckpt")).Message);
        Assert.True(optimizer.StateDict()["a.exp_avg"].eq(before["a.exp_avg"]).all().item<bool>(), "a refused state changed the optimizer");

        var partial = Saved();
        partial.Remove("a.exp_avg_sq");
        Assert.Contains("'a' has only part of its state", Assert.Throws<InvalidDataException>(() => optimizer.LoadStateDict(partial, "ckpt")).Message);

        var stranger = Saved();
        stranger["encoder.extra.exp_avg"] = zeros(1);
        Assert.Contains("'encoder.extra.exp_avg' belongs to no trained parameter", Assert.Throws<InvalidDataException>(() => optimizer.LoadStateDict(stranger, "ckpt")).Message);

        var badStep = Saved();
        badStep["gamma.step"] = tensor(new[] { 0L }, [1]);
        Assert.Contains("'gamma.step' must be one int64 of 1 or more", Assert.Throws<InvalidDataException>(() => optimizer.LoadStateDict(badStep, "ckpt")).Message);
    }

    [Fact]
    public void InvalidSettingsAreRefused()
    {
        var (parameters, _) = Problem();
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([("a", parameters[0], 0.0)], -1e-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([("a", parameters[0], 0.0)], 1e-3, beta1: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([("a", parameters[0], 0.0)], 1e-3, beta2: double.NaN));
        Assert.Contains("weight decay of a", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([("a", parameters[0], -0.1)], 1e-3)).Message);
    }
}
