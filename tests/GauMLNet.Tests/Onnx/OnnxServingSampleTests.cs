using GauMLNet.Tests.MLNet;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Onnx;

/// <summary>samples/OnnxServing scores a TorchSharp-trained model with ONNX Runtime and ships no libtorch.</summary>
public sealed class OnnxServingSampleTests(ITestOutputHelper output)
{
    private static string SampleOutput
    {
        get
        {
            string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/{Configuration}/net10.0/
            string dir = Path.Combine(TestPaths.RepositoryRoot, "samples", "OnnxServing", "bin", configuration, "net10.0");
            if (!File.Exists(Path.Combine(dir, "OnnxServing.dll"))) throw new FileNotFoundException($"{dir}/OnnxServing.dll is missing: build the solution first.");
            return dir;
        }
    }

    [Fact]
    public void TheSampleOutputFolderHasNoLibtorch()
    {
        var files = Directory.GetFiles(SampleOutput, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("GauMLNet.Onnx.dll", files);
        Assert.Contains(files, f => f!.StartsWith("libonnxruntime", StringComparison.Ordinal) || f == "onnxruntime.dll");
        Assert.DoesNotContain(files, f => f!.Contains("torch", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("GauMLNet.dll", files);
    }

    [Fact]
    public void TheSamplePredictsWhatTheTorchSharpModelPredicts()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticText.Sentences(64, 1).Select(r => new { Sentence1 = r.Sentence ?? "", Sentence2 = "", r.Label }).ToList();
        var train = ml.Data.LoadFromEnumerable(rows);
        var options = TextClassificationTests.Options with { Config = TextClassificationTests.TestConfig with { NumHiddenLayers = 1 }, Epochs = 2, SentenceColumnName = "Sentence1" };
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.GauTextClassification(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(train);
        string zip = Path.Combine(TestPaths.NewTempDirectory(), "model.zip");
        ml.Model.Save(model, train.Schema, zip);
        string[] sentences = [.. rows.Take(5).Select(r => r.Sentence1)];
        var expected = model.Transform(ml.Data.LoadFromEnumerable(sentences.Select(s => new { Sentence1 = s, Sentence2 = "", Label = "" })))
            .GetColumn<string>("PredictedLabel").ToList();

        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Path.Combine(SampleOutput, "OnnxServing.dll"), zip }.Concat(sentences)) start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)));
        output.WriteLine(stdout + stderr);
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("scoring with onnxruntime", stdout);
        var predicted = stdout.Split('\n').Where(l => l.Contains('\t')).Select(l => l.Split('\t')[0]).ToList();
        Assert.Equal(expected, predicted);
    }
}
