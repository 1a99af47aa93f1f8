using GauMLNet.Cli.Failures;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Cli;

/// <summary>gau train --weight-average: the decay reaches the trainer, validation scores the average, and a resume with another is refused.</summary>
public class WeightAverageOptionTests
{
    private static (int Code, string Out, string Err) Gau(params string[] args) => DataFileCommandsTests.Gau(args);

    [Fact]
    public void TheAverageIsValidatedAndKeptAndAResumeWithoutItIsRefused()
    {
        string dir = TestPaths.NewTempDirectory();
        string data = Path.Combine(dir, "reviews.csv"), model = Path.Combine(dir, "model");
        DataFileCommandsTests.WriteReviews(data, 48);
        string[] Args(params string[] more) => ["train", "--data", data, "--dev-fraction", "0.25", "--seed", "2", "--config", "tiny", "--epochs", "1",
            "--max-length", "24", "--output", model, "--device", "cpu", .. more];
        var train = Gau(Args("--weight-average", "0.9"));
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("kept the weight average of epoch 1", train.Out + train.Err);

        var other = Gau([.. Args(), "--resume"]);
        Assert.Equal(ExitCodes.Usage, other.Code);
        Assert.Contains("weight_average_decay: checkpoint 0.9, this run none", other.Err);

        foreach (string bad in new[] { "1", "0", "-0.1", "NaN" })
        {
            var refused = Gau(Args("--weight-average", bad));
            Assert.Equal(ExitCodes.Usage, refused.Code);
            Assert.Contains($"--weight-average must be a decay per step in (0, 1), got {bad}.", refused.Err);
        }
    }
}
