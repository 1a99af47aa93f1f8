using GauMLNet.TorchSharp.Modeling;
using static TorchSharp.torch;

namespace GauMLNet.Tests.Modeling;

/// <summary>The CRF's forward-algorithm NLL equals brute force over every tag path, with padding rows of other lengths.</summary>
public sealed class LinearChainCrfTests
{
    [Fact]
    public void TheNegativeLogLikelihoodEqualsEnumeratingEveryPath()
    {
        const int tags = 4, width = 6; // [CLS] up to 4 tokens [SEP]
        int[] lengths = [3, 1, 4];
        using var crf = new LinearChainCrf(tags);
        var generator = new Random(3);
        using (no_grad())
            foreach (var p in crf.parameters()) p.copy_(randn(p.shape, generator: new Generator(7)));
        var emissions = randn([lengths.Length, width, tags], generator: new Generator(11));
        var gold = new long[lengths.Length * width];
        var mask = new bool[lengths.Length * width];
        for (int b = 0; b < lengths.Length; b++)
            for (int t = 1; t <= lengths[b]; t++) { gold[b * width + t] = generator.Next(tags); mask[b * width + t] = true; }

        double loss = crf.call(emissions, tensor(gold, [lengths.Length, width]), tensor(mask, [lengths.Length, width])).item<float>();

        var state = crf.state_dict();
        var transitions = state["transitions"].data<float>().ToArray();
        var start = state["start_transitions"].data<float>().ToArray();
        var end = state["end_transitions"].data<float>().ToArray();
        var e = emissions.data<float>().ToArray();
        double Score(int b, int[] path)
        {
            double s = start[path[0]] + end[path[^1]];
            for (int t = 0; t < path.Length; t++) s += e[(b * width + t + 1) * tags + path[t]];
            for (int t = 1; t < path.Length; t++) s += transitions[path[t - 1] * tags + path[t]];
            return s;
        }
        double expected = 0;
        for (int b = 0; b < lengths.Length; b++)
        {
            var scores = Paths(lengths[b], tags).Select(path => Score(b, path)).ToList();
            double max = scores.Max();
            double logZ = max + Math.Log(scores.Sum(s => Math.Exp(s - max)));
            int[] goldPath = Enumerable.Range(1, lengths[b]).Select(t => (int)gold[b * width + t]).ToArray();
            expected += logZ - Score(b, goldPath);
        }
        expected /= lengths.Length;
        Assert.Equal(expected, loss, 4);
    }

    private static IEnumerable<int[]> Paths(int length, int tags)
    {
        if (length == 0) { yield return []; yield break; }
        foreach (var prefix in Paths(length - 1, tags))
            for (int k = 0; k < tags; k++) yield return [.. prefix, k];
    }
}
