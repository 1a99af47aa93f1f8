using System.Text.Json;
using GauMLNet.Cli;
using GauMLNet.Cli.Failures;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Tests.Support;
using Microsoft.ML;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Cli;

/// <summary>gau train → evaluate → predict on the bundled sample data, with a tiny model.</summary>
public class ClueCommandsTests(ITestOutputHelper output)
{
    private static string SampleData(string name) => Path.Combine(TestPaths.RepositoryRoot, "samples", "data", name);

    private static (int Code, string Out, string Err) Gau(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = GauCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void TrainEvaluatePredictOnTheBundledPairTask()
    {
        string outDir = TestPaths.NewTempDirectory();
        var train = Gau("train", "--task", "afqmc", "--data", SampleData("matching"), "--config", "tiny", "--epochs", "2",
            "--max-length", "48", "--output", outDir, "--device", "cpu", "--inference-precision", "bf16", "--gradient-checkpointing");
        output.WriteLine(train.Out);
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("epoch 2/2: dev accuracy", train.Out);
        foreach (string file in new[] { "model.zip", "metrics.json", "training-curve.png" })
            Assert.True(new FileInfo(Path.Combine(outDir, file)).Length > 0, file);
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoints", "LATEST")));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoints", "epoch-0002", "state.json")));
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json"))))
            Assert.InRange(metrics.RootElement.GetProperty("dev").GetProperty("Accuracy").GetDouble(), 0.0, 1.0);

        // The saved model scores in bf16 (evaluate and predict below run that path after loading) and was
        // trained with gradient checkpointing, which its config records.
        var saved = new MLContext().Model.LoadGauModel(Path.Combine(outDir, "model.zip"), out _);
        var gau = GauTransformers(saved).Single().Model;
        Assert.Equal(InferencePrecision.BFloat16, gau.Spec.InferencePrecision);
        Assert.True(gau.Config.GradientCheckpointing);

        var evaluate = Gau("evaluate", "--task", "afqmc", "--data", SampleData("matching"), "--model", outDir);
        Assert.True(evaluate.Code == 0, evaluate.Err);
        Assert.Contains("accuracy", evaluate.Out);

        var predict = Gau("predict", "--task", "afqmc", "--data", SampleData("matching"), "--model", outDir, "--output", outDir);
        Assert.True(predict.Code == 0, predict.Err);
        var lines = File.ReadAllLines(Path.Combine(outDir, "afqmc_predict.json"));
        Assert.Equal(300, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(0, first.RootElement.GetProperty("id").GetInt32());
        Assert.Contains(first.RootElement.GetProperty("label").GetString(), new[] { "0", "1" });

        var inline = Gau("predict", "--task", "afqmc", "--model", outDir, "--text", "花呗怎么还款 ||| 如何还花呗");
        Assert.True(inline.Code == 0, inline.Err);
        Assert.Matches(@"^[01]\t", inline.Out);
    }

    [Fact]
    public void ClearErrorsForAWrongTaskAMissingFolderAndAnotherTasksData()
    {
        var wrongTask = Gau("train", "--task", "sst2", "--data", SampleData("sentiment"));
        Assert.Equal(ExitCodes.Usage, wrongTask.Code);
        Assert.Contains("Unknown task 'sst2'", wrongTask.Err);

        var missing = Gau("train", "--task", "eprstmt", "--data", Path.Combine(TestPaths.NewTempDirectory(), "none"));
        Assert.Equal(ExitCodes.Usage, missing.Code);
        Assert.Contains("does not exist", missing.Err);

        var precision = Gau("train", "--task", "afqmc", "--data", SampleData("matching"), "--inference-precision", "fp8");
        Assert.Equal(ExitCodes.Usage, precision.Code);
        Assert.Contains("--inference-precision: 'fp8' is not a precision", precision.Err);

        var otherFormat = Gau("train", "--task", "afqmc", "--data", SampleData("sentiment"), "--output", TestPaths.NewTempDirectory());
        Assert.Equal(ExitCodes.DataError, otherFormat.Code);
        Assert.Contains("train.json:1: missing field(s) 'sentence1', 'sentence2'", otherFormat.Err);
    }

    private static IEnumerable<GauTransformerBase> GauTransformers(ITransformer model) => model switch
    {
        GauTransformerBase gau => [gau],
        IEnumerable<ITransformer> chain => chain.SelectMany(GauTransformers),
        _ => [],
    };
}
