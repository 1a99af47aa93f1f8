using System.Text.Json;
using GauMLNet.Cli;
using GauMLNet.Cli.Failures;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;

namespace GauMLNet.Tests.Cli;

public class EncodeCommandTests
{
    [Fact]
    public void EncodeReproducesReferenceOutputsThroughTheCommandLine()
    {
        string dir = TestPaths.NewTempDirectory();
        string outputPath = Path.Combine(dir, "out.json");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = GauCli.Run(["encode", "--model", TestPaths.TinyModel, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"),
            "--output", outputPath, "--device", "cpu"], stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(outputPath));
        var encoded = doc.RootElement.GetProperty("last_hidden_state").EnumerateArray()
            .Zip(doc.RootElement.GetProperty("mlm_logits_first_token").EnumerateArray())
            .Select(p => new EncoderOutput(
                p.First.EnumerateArray().Select(t => t.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray(),
                p.Second.EnumerateArray().Select(v => v.GetSingle()).ToArray()))
            .ToArray();
        var (hidden, logits) = TinyFixture.Load().MaxAbsDifference(encoded);
        Assert.True(hidden < 1e-4 && logits < 1e-4, $"Δ hidden {hidden}, Δ logits {logits}");
    }

    [Fact]
    public void CompareReportsTheDifferenceAndFailsAboveTolerance()
    {
        string dir = TestPaths.NewTempDirectory();
        string[] Args(string tolerance) => ["encode", "--model", TestPaths.TinyModel, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"),
            "--output", Path.Combine(dir, "o.json"), "--compare", Path.Combine(TestPaths.TinyModel, "expected.json"), "--tolerance", tolerance];

        var within = new StringWriter();
        Assert.Equal(0, GauCli.Run(Args("1e-4"), within, new StringWriter()));
        Assert.Contains("(within 0.0001)", within.ToString());

        var above = new StringWriter();
        Assert.Equal(2, GauCli.Run(Args("1e-12"), above, new StringWriter()));
        Assert.Contains("ABOVE tolerance", above.ToString());
    }

    [Fact]
    public void MissingCheckpointIsAClearErrorNotACrash()
    {
        string dir = TestPaths.NewTempDirectory();
        var stderr = new StringWriter();
        int code = GauCli.Run(["encode", "--model", Path.Combine(dir, "nope"), "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"),
            "--output", Path.Combine(dir, "o.json")], new StringWriter(), stderr);
        Assert.Equal(ExitCodes.DataError, code);
        Assert.Contains("config.json is missing", stderr.ToString());
        Assert.False(File.Exists(Path.Combine(dir, "o.json")));
    }

    [Fact]
    public void MalformedInputNamesTheFile()
    {
        string dir = TestPaths.NewTempDirectory();
        string input = Path.Combine(dir, "bad.json");
        File.WriteAllText(input, "{\"input_ids\": [[1, 2], [3]]}");
        var stderr = new StringWriter();
        int code = GauCli.Run(["encode", "--model", TestPaths.TinyModel, "--input", input, "--output", Path.Combine(dir, "o.json")],
            new StringWriter(), stderr);
        Assert.Equal(ExitCodes.DataError, code);
        Assert.Contains("bad.json: input_ids[1] has 1 entries", stderr.ToString());
    }
}
