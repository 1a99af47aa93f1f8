using GauMLNet.TorchSharp.Training;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Training;

/// <summary>The exponential moving average of weights: its arithmetic, its swap for validation, and its state in checkpoints.</summary>
public class WeightAverageTests
{
    // A linear layer whose bias is frozen: only the weight is averaged.
    private static nn.Module<Tensor, Tensor> Layer()
    {
        var layer = nn.Linear(3, 2);
        layer.bias!.requires_grad = false;
        return layer;
    }

    private static float[] Weight(nn.Module model) => model.named_parameters().Single(p => p.name == "weight").parameter.data<float>().ToArray();

    private static void Move(nn.Module model, float by)
    {
        using var _ = no_grad();
        foreach (var p in model.parameters()) p.add_(by);
    }

    [Fact]
    public void EachUpdateMovesTheAverageTowardTheWeightsAtTheRampedDecay()
    {
        using var model = Layer();
        var start = Weight(model);
        using var average = new WeightAverage(model, decay: 0.5);
        var expected = start.Select(x => (double)x).ToArray();
        for (int t = 1; t <= 6; t++)
        {
            Move(model, 0.25f * t);
            average.Update();
            double d = Math.Min(0.5, (1.0 + t) / (10.0 + t)); // 2/11, 3/12, …, then 0.5 from t = 8 on; below 0.5 here
            var now = Weight(model);
            for (int i = 0; i < expected.Length; i++) expected[i] = expected[i] * d + now[i] * (1 - d);
        }
        Assert.Equal(6, average.Updates);
        using (average.SwapIn())
        {
            var swapped = Weight(model);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], swapped[i], 5);
        }
    }

    [Fact]
    public void TheDecayCapsTheRampAndTheFirstUpdatesFollowTheWeights()
    {
        using var model = Layer();
        using var average = new WeightAverage(model, decay: 0.1);
        Move(model, 1f);
        var now = Weight(model);
        average.Update(); // d = min(0.1, 2/11) = 0.1: 90 % of the way to the weights
        var start = now.Select(x => x - 1f).ToArray();
        using (average.SwapIn())
        {
            var swapped = Weight(model);
            for (int i = 0; i < now.Length; i++) Assert.Equal(start[i] * 0.1 + now[i] * 0.9, swapped[i], 5);
        }
    }

    [Fact]
    public void SwappingInScoresTheAverageAndGivesTheWeightsBackFrozenOnesUntouched()
    {
        using var model = Layer();
        using var average = new WeightAverage(model, decay: 0.9);
        Move(model, 1f);
        average.Update();
        var weights = Weight(model);
        var bias = ((nn.Module)model).named_parameters().Single(p => p.name == "bias").parameter.data<float>().ToArray();
        using (average.SwapIn())
        {
            Assert.NotEqual(weights, Weight(model));
            Assert.Equal(bias, ((nn.Module)model).named_parameters().Single(p => p.name == "bias").parameter.data<float>().ToArray());
        }
        Assert.Equal(weights, Weight(model));
        Assert.DoesNotContain("bias", average.StateDict().Keys);

        average.Apply();
        Assert.NotEqual(weights, Weight(model));
    }

    [Fact]
    public void ItsStateRoundTripsAndABadStateIsRefusedNamingTheEntry()
    {
        using var model = Layer();
        using var average = new WeightAverage(model, decay: 0.9);
        Move(model, 1f);
        average.Update();
        average.Update();
        Dictionary<string, Tensor> saved;
        using (NewDisposeScope()) saved = average.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.clone().DetachFromDisposeScope());

        using var other = Layer();
        using var restored = new WeightAverage(other, decay: 0.9);
        restored.LoadStateDict(saved, "average.safetensors");
        Assert.Equal(2, restored.Updates);
        using (average.SwapIn())
        using (restored.SwapIn())
            Assert.Equal(Weight(model), Weight(other));

        var shape = new Dictionary<string, Tensor>(saved) { ["weight"] = zeros(3, 2) };
        Assert.Contains("entry 'weight' has shape [3, 2], the parameter [2, 3]", Assert.Throws<InvalidDataException>(() => restored.LoadStateDict(shape, "x")).Message);
        var stranger = new Dictionary<string, Tensor>(saved) { ["head.weight"] = zeros(1) };
        Assert.Contains("entry 'head.weight' belongs to no trained parameter", Assert.Throws<InvalidDataException>(() => restored.LoadStateDict(stranger, "x")).Message);
        var missing = saved.Where(kv => kv.Key != "weight").ToDictionary();
        Assert.Contains("the average of parameter 'weight' is missing", Assert.Throws<InvalidDataException>(() => restored.LoadStateDict(missing, "x")).Message);
        var noCount = saved.Where(kv => kv.Key != "updates").ToDictionary();
        Assert.Contains("x: entry 'updates' must be one int64", Assert.Throws<InvalidDataException>(() => restored.LoadStateDict(noCount, "x")).Message);
        Assert.Equal(2, restored.Updates); // a refused state leaves it as it was
    }

    [Fact]
    public void ADecayOutsideZeroToOneIsRefused()
    {
        using var model = Layer();
        foreach (double bad in new[] { 0.0, 1.0, -0.5, double.NaN })
            Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage(model, bad));
    }
}
