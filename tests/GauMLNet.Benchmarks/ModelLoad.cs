using System.Diagnostics;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Tasks;
using GauMLNet.TorchSharp.Backend;
using GauMLNet.TorchSharp.Checkpoints;
using Microsoft.ML;

namespace GauMLNet.Benchmarks;

/// <summary>
/// How long an ML.NET model file takes to load (LoadGauModel: every zip entry's CRC-32, the package's SHA-256 manifest,
/// the weights into a network): a base-size classifier (<c>--model-load</c>; the smoke pass uses a tiny one).
/// </summary>
internal static class ModelLoad
{
    public static Dictionary<string, object> Run(bool smoke)
    {
        var config = smoke ? GauAlphaConfig.Tiny : GauAlphaConfig.Base;
        var vocab = string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Enumerable.Range(0, config.VocabSize - 5).Select(i => ((char)(0x4E00 + i)).ToString())));
        var spec = new GauTaskSpec
        {
            Task = GauTask.Classification,
            TextColumns = ["Sentence"],
            LabelColumn = "Label",
            OutputColumns = ["Score", "PredictedLabel"],
            Outputs = 2,
            Device = "cpu",
        };
        string directory = Path.Combine(Path.GetTempPath(), $"gaumlnet-model-load-{Environment.ProcessId}");
        try
        {
            using (var network = TaskNetworkFactory.CreateInitialized(spec, config, seed: 1))
                GauModelPackage.Create(spec, config, vocab, SafeTensors.ToBytes(network.state_dict(), global::TorchSharp.torch.ScalarType.Float32,
                    new Dictionary<string, string> { ["format"] = "pt" })).SaveDirectory(directory);
            var ml = new MLContext(seed: 0);
            string path = Path.Combine(directory, "model.zip");
            using (var transformer = GauTextClassificationTransformer.LoadCheckpoint(ml, directory, "cpu"))
                ml.Model.Save(transformer, ml.Data.LoadFromEnumerable(new[] { new { Sentence = "" } }).Schema, path);
            var seconds = new List<double>();
            for (int i = 0; i < (smoke ? 1 : 5); i++)
            {
                var clock = Stopwatch.StartNew();
                var loaded = new MLContext().Model.LoadGauModel(path, out _);
                seconds.Add(clock.Elapsed.TotalSeconds);
                (loaded as IDisposable)?.Dispose();
            }
            seconds.Sort();
            double megabytes = new FileInfo(path).Length / 1e6;
            Console.WriteLine($"model load ({(smoke ? "tiny" : "base")}, {megabytes:F0} MB zip): median {seconds[seconds.Count / 2]:F3} s, min {seconds[0]:F3} s over {seconds.Count} loads");
            return new() { ["config"] = smoke ? "tiny" : "base", ["zip_mb"] = megabytes, ["median_s"] = seconds[seconds.Count / 2], ["min_s"] = seconds[0] };
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }
}
