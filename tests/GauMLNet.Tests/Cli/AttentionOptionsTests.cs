using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Tests.Support;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Cli;

/// <summary>gau train --attention mixed-chunk --chunk-size: the model trains, scores (TorchSharp and ONNX Runtime), and keeps its attention.</summary>
public class AttentionOptionsTests(ITestOutputHelper output)
{
    private static (int Code, string Out, string Err) Gau(params string[] args) => DataFileCommandsTests.Gau(args);

    [Fact]
    public void AMixedChunkModelTrainsScoresAndKeepsItsAttention()
    {
        string dir = TestPaths.NewTempDirectory();
        string data = Path.Combine(dir, "reviews.csv"), model = Path.Combine(dir, "model");
        DataFileCommandsTests.WriteReviews(data, 160);
        string[] args = ["train", "--data", data, "--dev-fraction", "0.25", "--seed", "3", "--config", "tiny", "--epochs", "2",
            "--max-length", "24", "--attention", "mixed-chunk", "--chunk-size", "8", "--output", model, "--device", "cpu"];
        var train = Gau(args);
        output.WriteLine(train.Out);
        Assert.True(train.Code == 0, train.Err);
        // Resume holds the attention: the same arguments continue; leaving --attention out is another model, refused.
        var resumed = Gau([.. args, "--resume"]);
        Assert.True(resumed.Code == 0, resumed.Err);
        var otherModel = Gau([.. args.Where(a => a is not ("--attention" or "mixed-chunk" or "--chunk-size" or "8")), "--resume"]);
        Assert.Equal(ExitCodes.Usage, otherModel.Code);
        Assert.Contains("this run differs from the one that wrote it", otherModel.Err);

        string scored = Path.Combine(dir, "scored.csv");
        var predict = Gau("predict", "--input", data, "--model", model, "--output", scored);
        Assert.True(predict.Code == 0, predict.Err);
        Assert.Contains("positive", File.ReadAllText(scored));

        string pytorch = Path.Combine(dir, "pytorch");
        var export = Gau("export", "--model", model, "--format", "pytorch", "--output", pytorch);
        Assert.True(export.Code == 0, export.Err);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(pytorch, "config.json")));
        Assert.Equal("mixed_chunk", config.RootElement.GetProperty("attention").GetString());
        Assert.Equal(8, config.RootElement.GetProperty("chunk_size").GetInt32());

        string onnxDir = Path.Combine(dir, "onnx");
        var onnx = Gau("export", "--model", model, "--output", onnxDir);
        Assert.True(onnx.Code == 0, onnx.Err);
        string onnxScored = Path.Combine(dir, "onnx-scored.csv");
        var onnxPredict = Gau("predict", "--input", data, "--model", onnxDir, "--output", onnxScored);
        Assert.True(onnxPredict.Code == 0, onnxPredict.Err);
        Assert.Equal(File.ReadAllText(scored).Split('\n').Length, File.ReadAllText(onnxScored).Split('\n').Length);
    }

    [Fact]
    public void AMixedChunkModelTrainsInBf16()
    {
        string dir = TestPaths.NewTempDirectory();
        string data = Path.Combine(dir, "reviews.csv");
        DataFileCommandsTests.WriteReviews(data, 64);
        var train = Gau("train", "--data", data, "--config", "tiny", "--epochs", "1", "--max-length", "24", "--attention", "mixed-chunk",
            "--chunk-size", "8", "--precision", "bf16", "--force-precision", "--output", Path.Combine(dir, "model"), "--device", "cpu");
        Assert.True(train.Code == 0, train.Err);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "model", "metrics.json")));
        Assert.Equal("bf16", metrics.RootElement.GetProperty("precision").GetString());
        Assert.True(double.IsFinite(metrics.RootElement.GetProperty("final_loss").GetDouble()));
    }

    [Theory]
    [InlineData("--attention", "sparse", "--attention: 'sparse' is not an attention")]
    [InlineData("--chunk-size", "64", "--chunk-size needs --attention mixed-chunk")]
    public void BadAttentionArgumentsAreUsageErrors(string name, string value, string message)
    {
        string dir = TestPaths.NewTempDirectory();
        string data = Path.Combine(dir, "reviews.csv");
        DataFileCommandsTests.WriteReviews(data, 20);
        var run = Gau("train", "--data", data, "--config", "tiny", name, value, "--output", Path.Combine(dir, "model"));
        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains(message, run.Err);
        var zero = Gau("train", "--data", data, "--config", "tiny", "--attention", "mixed-chunk", "--chunk-size", "0", "--output", Path.Combine(dir, "model"));
        Assert.Contains("--chunk-size must be at least 1", zero.Err);
        var withModel = Gau("train", "--data", data, "--model", TestPaths.TinyModel, "--attention", "mixed-chunk", "--output", Path.Combine(dir, "model"));
        Assert.Contains("a --model checkpoint keeps the attention it was trained with", withModel.Err);
    }
}
