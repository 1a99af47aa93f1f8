using System.IO.Compression;
using System.Text;
using GauMLNet.Cli.Failures;
using GauMLNet.Tests.Support;

namespace GauMLNet.Tests.Cli;

/// <summary>gau train --pooling: the classifier reads the mean of the tokens' states, keeps it in model.zip and across a resume.</summary>
public class PoolingOptionTests
{
    private static (int Code, string Out, string Err) Gau(params string[] args) => DataFileCommandsTests.Gau(args);

    [Fact]
    public void MeanPoolingIsTrainedSavedAndHeldAcrossAResume()
    {
        string dir = TestPaths.NewTempDirectory();
        string data = Path.Combine(dir, "reviews.csv"), model = Path.Combine(dir, "model");
        DataFileCommandsTests.WriteReviews(data, 48);
        string[] Args(string pooling, string output) => ["train", "--data", data, "--seed", "2", "--config", "tiny", "--epochs", "1",
            "--max-length", "24", "--pooling", pooling, "--output", output, "--device", "cpu"];
        var train = Gau(Args("mean", model));
        Assert.True(train.Code == 0, train.Err);
        Assert.Equal("Mean", PoolingIn(Path.Combine(model, "model.zip")));

        // A resume with another pooling would train another model: refused, naming the difference.
        var other = Gau([.. Args("first", model), "--resume"]);
        Assert.Equal(ExitCodes.Usage, other.Code);
        Assert.Contains("pooling: checkpoint Mean, this run First", other.Err);

        var first = Gau(Args("first", Path.Combine(dir, "first")));
        Assert.True(first.Code == 0, first.Err);
        Assert.Equal("First", PoolingIn(Path.Combine(dir, "first", "model.zip")));
    }

    [Fact]
    public void APoolingThatDoesNotExistOrATaskThatReadsEveryTokenIsAUsageError()
    {
        string dir = TestPaths.NewTempDirectory();
        string data = Path.Combine(dir, "reviews.csv");
        DataFileCommandsTests.WriteReviews(data, 20);
        var bad = Gau("train", "--data", data, "--config", "tiny", "--pooling", "max", "--output", Path.Combine(dir, "model"));
        Assert.Equal(ExitCodes.Usage, bad.Code);
        Assert.Contains("--pooling: 'max' is not a pooling; use first or mean.", bad.Err);
        foreach (string task in new[] { "cluener", "cmrc2018" })
        {
            var entities = Gau("train", "--task", task, "--data", dir, "--pooling", "mean", "--output", Path.Combine(dir, "model"));
            Assert.Equal(ExitCodes.Usage, entities.Code);
            Assert.Contains("--pooling is for classification and pair tasks", entities.Err);
        }
    }

    // The task spec is serialized into the GAU transform's Model.key inside model.zip.
    private static string PoolingIn(string modelZip)
    {
        using var zip = ZipFile.OpenRead(modelZip);
        foreach (var entry in zip.Entries.Where(e => e.Name == "Model.key"))
        {
            using var stream = entry.Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            string text = Encoding.UTF8.GetString(memory.ToArray());
            int at = text.IndexOf("\"pooling\": \"", StringComparison.Ordinal);
            if (at >= 0) return text[(at + 12)..text.IndexOf('"', at + 12)];
        }
        throw new Xunit.Sdk.XunitException($"{modelZip} holds no task spec with a pooling");
    }
}
