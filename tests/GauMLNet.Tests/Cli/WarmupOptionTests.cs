using GauMLNet.Cli.Failures;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Cli;

/// <summary>gau train --warmup: the fraction of steps the learning rate rises over reaches the trainer and its checkpoint.</summary>
public class WarmupOptionTests
{
    private static (int Code, string Out, string Err) Gau(params string[] args) => DataFileCommandsTests.Gau(args);

    [Fact]
    public void WarmupReachesTheTrainingAndAResumeWithAnotherIsRefused()
    {
        string dir = TestPaths.NewTempDirectory();
        string data = Path.Combine(dir, "reviews.csv"), model = Path.Combine(dir, "model");
        DataFileCommandsTests.WriteReviews(data, 48);
        string[] Args(string warmup) => ["train", "--data", data, "--seed", "2", "--config", "tiny", "--epochs", "1",
            "--max-length", "24", "--warmup", warmup, "--output", model, "--device", "cpu"];
        var train = Gau(Args("0.25"));
        Assert.True(train.Code == 0, train.Err);

        var other = Gau([.. Args("0"), "--resume"]);
        Assert.Equal(ExitCodes.Usage, other.Code);
        Assert.Contains("warmup_fraction: checkpoint 0.25, this run 0", other.Err);
        var same = Gau([.. Args("0.25"), "--resume"]);
        Assert.True(same.Code == 0, same.Err);

        foreach (string bad in new[] { "1", "-0.1", "NaN" })
        {
            var refused = Gau(Args(bad));
            Assert.Equal(ExitCodes.Usage, refused.Code);
            Assert.Contains($"--warmup must be a fraction of the steps in [0, 1), got {bad}.", refused.Err);
        }
    }
}
