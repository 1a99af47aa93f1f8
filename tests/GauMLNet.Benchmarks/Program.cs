using System.Globalization;
using System.Text.Json;
using GauMLNet.Benchmarks;
using TorchSharp;

// GauMLNet's benchmark harness. Every figure that is compared is measured in the same run; peak memory
// is measured in a fresh child process per case so one case's high-water mark cannot leak into another's.
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release            full run, writes benchmark-results.json
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release -- --smoke seconds-long pass (CI)
// A child invocation is: --case KIND N [BATCH [LAYERS]]  (prints one JSON line).

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length >= 3 && args[0] == "--case")
    return (MixedPrecisionTraining.Handles(args[1]) ? (Func<string, int, int, int, int>)MixedPrecisionTraining.RunChild : Cases.RunChild)(
        args[1], int.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : 8, args.Length > 4 ? int.Parse(args[4]) : Cases.DefaultLayers);
if (Environment.GetEnvironmentVariable(Cases.ChildMarker) is not null)
{
    Console.Error.WriteLine($"benchmark child started without --case ({string.Join(' ', args)}); refusing to run the suite recursively");
    return 2;
}

bool smoke = args.Contains("--smoke");
int[] lengths = smoke ? [64] : [128, 512, 1024, 2048];
int batch = smoke ? 2 : 8;
var report = new Dictionary<string, object>();
Console.WriteLine($"GauMLNet benchmarks ({(smoke ? "smoke" : "full")}): {Environment.ProcessorCount} logical CPUs, libtorch threads {torch.get_num_threads()}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");

var ceiling = Matmul.Ceiling(smoke);
report["matmul_gflops_fp32"] = ceiling.Fp32;
report["matmul_gflops_bf16"] = ceiling.Bf16 as object ?? "unsupported";
Console.WriteLine($"(a) matmul ceiling: fp32 {ceiling.Fp32:F1} GFLOP/s, bf16 {(ceiling.Bf16 is { } b ? $"{b:F1} GFLOP/s" : "unsupported")}");

// (e) is measured twice: with fused attention in both models (what this library runs), and with the
// attention written out in both, as the PyTorch port and HF RoFormer compute it and as every comparison
// made before fused attention existed (PyTorch 1.x, bert4keras) measured it.
string[] attentions = ["fused", "explicit"];
var rows = new List<Dictionary<string, object>>();
foreach (int n in lengths)
{
    var row = new Dictionary<string, object> { ["n"] = n, ["batch"] = batch };
    foreach (string attention in attentions)
        foreach (string kind in new[] { $"gau-{attention}-infer", $"gau-{attention}-train", $"transformer-{attention}-infer", $"transformer-{attention}-train" })
        {
            var result = Cases.RunInChild(kind, n, smoke ? 1 : batch);
            row[kind + "_tokens_per_s"] = result.TokensPerSecond;
            row[kind + "_peak_mb"] = result.PeakMegabytes;
            row[kind + "_gflops"] = result.Gflops;
        }
    var checkpointed = Cases.RunInChild("gau-fused-train-checkpointed", n, smoke ? 1 : batch);
    row["gau-fused-train-checkpointed_tokens_per_s"] = checkpointed.TokensPerSecond;
    row["gau-fused-train-checkpointed_peak_mb"] = checkpointed.PeakMegabytes;
    row["gau_mfu"] = (double)row["gau-fused-infer_gflops"] / ceiling.Fp32;
    row["flop_ratio"] = Cases.GauFlopsPerToken(n) / Cases.TransformerFlopsPerToken(n);
    Console.WriteLine($"n={n,5}: GAU-α infer {row["gau-fused-infer_tokens_per_s"]:F0} tok/s (MFU {(double)row["gau_mfu"]:P0}), train {row["gau-fused-train_tokens_per_s"]:F0} tok/s; " +
                      $"GAU/Transformer FLOPs {(double)row["flop_ratio"]:F2}; with gradient checkpointing: train {checkpointed.TokensPerSecond:F0} tok/s, peak {checkpointed.PeakMegabytes:F0} MB");
    foreach (string attention in attentions)
    {
        row[$"time_ratio_infer_{attention}"] = (double)row[$"transformer-{attention}-infer_tokens_per_s"] / (double)row[$"gau-{attention}-infer_tokens_per_s"];
        row[$"time_ratio_train_{attention}"] = (double)row[$"transformer-{attention}-train_tokens_per_s"] / (double)row[$"gau-{attention}-train_tokens_per_s"];
        row[$"memory_ratio_train_{attention}"] = (double)row[$"gau-{attention}-train_peak_mb"] / (double)row[$"transformer-{attention}-train_peak_mb"];
        Console.WriteLine($"       {attention,-8} attention: GAU/Transformer time ratio infer {(double)row[$"time_ratio_infer_{attention}"]:F2} train {(double)row[$"time_ratio_train_{attention}"]:F2}; " +
                          $"peak MB infer {row[$"gau-{attention}-infer_peak_mb"]:F0}/{row[$"transformer-{attention}-infer_peak_mb"]:F0}, " +
                          $"train {row[$"gau-{attention}-train_peak_mb"]:F0}/{row[$"transformer-{attention}-train_peak_mb"]:F0} (ratio {(double)row[$"memory_ratio_train_{attention}"]:F2})");
    }
    rows.Add(row);
}
var crossovers = new Dictionary<string, object>();
foreach (string attention in attentions)
    foreach (string ratio in new[] { $"time_ratio_infer_{attention}", $"time_ratio_train_{attention}", $"memory_ratio_train_{attention}" })
    {
        var crossover = Crossover.Find(rows.Select(r => ((int)r["n"], (double)r[ratio])).ToList());
        crossovers[ratio] = crossover;
        Console.WriteLine($"crossover {ratio}: {crossover}");
    }
report["crossovers"] = crossovers;

// (g) the setting in which the PyTorch port of GAU-α was quoted at ≈ 8,300 tokens/s (2 layers, batch 4, n 512,
// fp32, 2 threads, PyTorch 1.13 + OpenBLAS). The port itself cannot run here (no PyTorch on this machine), so
// this is our side of that comparison only.
(int portN, int portBatch) = smoke ? (64, 1) : (512, 4);
var portSetting = Cases.RunInChild("gau-fused-infer", portN, portBatch, layers: 2);
report["port_setting_tokens_per_s"] = portSetting.TokensPerSecond;
Console.WriteLine($"(g) the PyTorch port's quoted setting (2 GAU layers, batch {portBatch}, n {portN}): {portSetting.TokensPerSecond:F0} tok/s " +
                  "(the port was quoted at ≈ 8,300 tok/s at batch 4, n 512; it cannot run here)");
report["lengths"] = rows;

var overhead = MLNetOverhead.Measure(smoke);
report["mlnet"] = overhead;
Console.WriteLine($"(f) ML.NET Transform {overhead.TransformRowsPerSecond:F0} rows/s vs raw encoder {overhead.RawRowsPerSecond:F0} rows/s: overhead {overhead.Overhead:P1}");

var memory = MemoryDrift.Measure(smoke ? 200 : 10_000);
report["memory_drift"] = memory;
Console.WriteLine($"native memory over {memory.Batches} inference batches: RSS {memory.FirstMegabytes:F0} MB after warm-up, {memory.LastMegabytes:F0} MB at the end (drift {memory.LastMegabytes - memory.FirstMegabytes:F1} MB)");

var bf16 = Bf16Accuracy.Measure(smoke);
report["bf16_inference"] = bf16;
Console.WriteLine(bf16.Supported
    ? $"bf16 inference: {bf16.Speedup:F2}× the fp32 speed, max |Δ| of hidden states {bf16.MaxAbsDifference:E2} (relative RMS {bf16.RelativeRms:P2})"
    : "bf16 inference: not supported on this CPU/libtorch");

report["bf16_training"] = MixedPrecisionTraining.Measure(smoke); // (h), also in the smoke pass

if (!smoke)
{
    File.WriteAllText("benchmark-results.json", JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine("wrote benchmark-results.json");
}
return 0;
