using GauMLNet.Experiments;

namespace GauMLNet.Tests.Experiments;

public class StratifiedFoldsTests
{
    [Fact]
    public void EveryLabelIsSpreadEvenlyAndFoldSizesDifferByAtMostOne()
    {
        // 3 labels of 11, 7 and 5 rows, interleaved: 23 rows over 5 folds.
        var labels = Enumerable.Range(0, 23).Select(i => i < 11 ? "a" : i < 18 ? "b" : "c").Reverse().ToList();
        int[] fold = StratifiedFolds.Assign(labels, 5, seed: 7);
        var sizes = Enumerable.Range(0, 5).Select(k => fold.Count(f => f == k)).ToList();
        Assert.True(sizes.Max() - sizes.Min() <= 1, string.Join(",", sizes));
        foreach (var label in new[] { "a", "b", "c" })
        {
            var perFold = Enumerable.Range(0, 5).Select(k => labels.Where((l, i) => l == label && fold[i] == k).Count()).ToList();
            Assert.True(perFold.Max() - perFold.Min() <= 1, $"{label}: {string.Join(",", perFold)}");
        }
    }

    [Fact]
    public void TheSeedDecidesTheFolds()
    {
        var labels = Enumerable.Range(0, 40).Select(i => (i % 4).ToString()).ToList();
        Assert.Equal(StratifiedFolds.Assign(labels, 4, seed: 1), StratifiedFolds.Assign(labels, 4, seed: 1));
        Assert.NotEqual(StratifiedFolds.Assign(labels, 4, seed: 1), StratifiedFolds.Assign(labels, 4, seed: 2));
    }

    [Fact]
    public void TooFewRowsOrFoldsAreRefused()
    {
        Assert.Contains("3 labelled rows cannot fill 5 folds", Assert.Throws<ArgumentException>(() => StratifiedFolds.Assign(["a", "b", "a"], 5, 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedFolds.Assign(["a", "b", "a"], 1, 0));
    }
}
