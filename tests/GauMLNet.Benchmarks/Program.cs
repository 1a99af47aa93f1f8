using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GauMLNet.Benchmarks;
using GauMLNet.TorchSharp.Runtime;
using TorchSharp;

// GauMLNet's benchmark harness. Every figure that is compared is measured in the same run; peak memory
// is measured in a fresh child process per case so one case's high-water mark cannot leak into another's.
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release            full run, writes benchmark-results.json
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release -- --smoke seconds-long pass (CI)
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release -- --serving [ROWS [ROUNDS]]   (k) serving paths only
// Either exits 1 when a check fails (MFU outside (0, 100%], a peer that does not compute our function, …).
// A child invocation is: --case KIND N [BATCH [LAYERS]]  (prints one JSON line).

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length >= 3 && args[0] == "--case")
    return (MixedPrecisionTraining.Handles(args[1]) ? (Func<string, int, int, int, int>)MixedPrecisionTraining.RunChild : Cases.RunChild)(
        args[1], int.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : 8, args.Length > 4 ? int.Parse(args[4]) : Cases.DefaultLayers);
if (args.Length >= 1 && args[0] == "--serving") // (k) alone: --serving [ROWS [ROUNDS]]
{
    var only = ServingThroughput.Measure(args.Length > 1 ? int.Parse(args[1]) : 512, args.Length > 2 ? int.Parse(args[2]) : 3);
    Console.WriteLine($"{CpuCapabilities.Current.ModelName}, {Environment.ProcessorCount} logical CPUs, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}: " +
        $"(k) {only.Rows} one-row requests: GAU alone {only.AloneRowsPerSecond:F1} rows/s, pipeline {only.PipelineRowsPerSecond:F1} rows/s (cost {only.PipelineCost:P1}), max |Δ| {only.MaxAbsDifference:E1}");
    return 0;
}
if (Environment.GetEnvironmentVariable(Cases.ChildMarker) is not null)
{
    Console.Error.WriteLine($"benchmark child started without --case ({string.Join(' ', args)}); refusing to run the suite recursively");
    return 2;
}

// Opt-in stage: scoring a generated CSV as gau predict --input does (rows/s; resident memory must stay flat).
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release -- --file-scoring [ROWS [BATCH]]   (default 1,000,000 rows, batch 256; only this stage)
if (args.Length >= 1 && args[0] == "--file-scoring")
{
    long fileRows = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
    Console.WriteLine($"file scoring: {fileRows:N0} rows, {CpuCapabilities.Current.ModelName}, {Environment.ProcessorCount} logical CPUs, libtorch threads {torch.get_num_threads()}");
    var scoring = FileScoring.Measure(fileRows, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 256);
    Console.WriteLine($"file scoring: {scoring.Rows:N0} rows in {scoring.Seconds:F1} s = {scoring.RowsPerSecond:F0} rows/s (batch {scoring.BatchSize}); RSS start {scoring.ResidentStartMegabytes:F0} MB, " +
                      $"after a tenth {scoring.ResidentAfterTenthMegabytes:F0} MB, end {scoring.ResidentEndMegabytes:F0} MB, max {scoring.ResidentMaxMegabytes:F0} MB");
    File.WriteAllText("file-scoring-results.json", JsonSerializer.Serialize(scoring, new JsonSerializerOptions { WriteIndented = true }));
    return scoring.OutputRows == scoring.Rows && scoring.Rows == fileRows ? 0 : 1;
}

// Opt-in stage: ONNX Runtime's own per-operator profile of table (h)'s model, fp32 and int8.
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release -- --ort-profile [N ...]   (default n 128 and 2048, batch 8; only this stage)
if (args.Length >= 1 && args[0] == "--ort-profile")
{
    int[] profileLengths = args.Length > 1 ? args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [128, 2048];
    var profileCpu = CpuCapabilities.Current;
    Console.WriteLine($"ONNX Runtime profile: {profileCpu.ModelName}, {Environment.ProcessorCount} logical CPUs, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    string profileDir = EngineCases.WriteCheckpoint(Cases.DefaultLayers);
    try { OrtProfile.Print(profileDir, profileLengths, batch: 8, profileCpu.TheoreticalPeakGflopsFp32); }
    finally { Directory.Delete(profileDir, recursive: true); }
    return 0;
}

// Opt-in stage: (m) question answering alone.
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release -- --qa [QUESTIONS]
if (args.Length >= 1 && args[0] == "--qa")
{
    int count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
    Console.WriteLine($"{CpuCapabilities.Current.ModelName}, {Environment.ProcessorCount} logical CPUs, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    var trained = Cases.RunInChild("qa-train", count, 4);
    var scored = Cases.RunInChild("qa-infer", count, 32);
    Console.WriteLine($"(m) question answering, max length 512 (small preset, 700-character contexts, {count} questions): training {trained.TokensPerSecond:F2} questions/s (peak {trained.PeakMegabytes:F0} MB), " +
                      $"scoring {scored.TokensPerSecond:F2} questions/s (peak {scored.PeakMegabytes:F0} MB)");
    return 0;
}

// Opt-in stage: (n) long documents alone, full vs mixed-chunk attention (default lengths 1024 … 16384).
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release -- --long [N ...]
if (args.Length >= 1 && args[0] == "--long")
{
    int[] longLengths = args.Length > 1 ? args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1024, 2048, 4096, 8192, 16384];
    Console.WriteLine($"{CpuCapabilities.Current.ModelName}, {Environment.ProcessorCount} logical CPUs, libtorch threads {torch.get_num_threads()}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, MKL: {MklVendorDispatch.EnsureApplied()}");
    Console.WriteLine($"(n) long documents: batch 1, {Cases.DefaultLayers} GAU layers of base width (d 768, e 1536, s 128), mixed-chunk with chunk {LongDocumentCases.ChunkSize}");
    var longStage = LongDocumentCases.Table(longLengths);
    File.WriteAllText("long-results.json", JsonSerializer.Serialize(longStage, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"load average at the end {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; wrote long-results.json");
    return 0;
}

// Opt-in stage: ONNX Runtime's MatMul (MLAS) against libtorch's on the model's shapes, same process.
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release -- --ort-gemm [THREADS]
if (args.Length >= 1 && args[0] == "--ort-gemm")
{
    Console.WriteLine($"{CpuCapabilities.Current.ModelName}, {Environment.ProcessorCount} logical CPUs, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, MKL: {MklVendorDispatch.EnsureApplied()}");
    OrtGemm.Print(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : Environment.ProcessorCount);
    return 0;
}

// Opt-in stage: (h) alone, the scoring engines at the given lengths (default 128 512 1024 2048, batch 8).
//   dotnet run --project tests/GauMLNet.Benchmarks -c Release -- --engines [N ...]
if (args.Length >= 1 && args[0] == "--engines")
{
    int[] engineLengths = args.Length > 1 ? args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [128, 512, 1024, 2048];
    Console.WriteLine($"{CpuCapabilities.Current.ModelName}, {Environment.ProcessorCount} logical CPUs, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, MKL: {MklVendorDispatch.EnsureApplied()}");
    var (table, parity) = EngineCases.Table(engineLengths, batch: 8);
    File.WriteAllText("engine-results.json", JsonSerializer.Serialize(new { engines = table, parity }, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"load average at the end {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; wrote engine-results.json");
    return 0;
}

bool smoke = args.Contains("--smoke");
int[] lengths = smoke ? [64] : [128, 512, 1024, 2048];
int batch = smoke ? 1 : 8;
var report = new Dictionary<string, object>();
var failures = new List<string>(); // checks the smoke pass enforces (and the full run reports)
Console.WriteLine($"GauMLNet benchmarks ({(smoke ? "smoke" : "full")}): {Environment.ProcessorCount} logical CPUs, libtorch threads {torch.get_num_threads()}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
// Other work on the machine skews every figure; the load average before and after says how much there was.
static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
string loadStart = LoadAverage(); // one reading, printed and reported
report["load_average_start"] = loadStart;
Console.WriteLine($"load average (1, 5, 15 min) at the start: {loadStart}");

var cpu = CpuCapabilities.Current;
Console.WriteLine(cpu.Describe());
// Decided at GauMLNet.dll's load, before any matrix product; every child process decides the same way. The benchmark
// opts in to GauMLNet's process-wide settings in its project file and says so once, here.
var mkl = MklVendorDispatch.EnsureApplied();
Console.WriteLine($"process settings: {ProcessSettings.Describe()}");
report["mkl_vendor_dispatch"] = mkl.ToString();
report["cpu"] = new Dictionary<string, object?>
{
    ["model_name"] = cpu.ModelName,
    ["vendor"] = cpu.Vendor,
    ["family"] = cpu.Family,
    ["model"] = cpu.Model,
    ["physical_cores"] = cpu.PhysicalCores,
    ["logical_cores"] = cpu.LogicalCores,
    ["flags"] = cpu.PresentRelevantFlags,
    ["flags_absent"] = cpu.MissingRelevantFlags,
    ["clock_mhz"] = cpu.ClockMHz,
    ["clock_source"] = cpu.ClockSource,
    ["fp32_flops_per_cycle"] = cpu.Fp32FlopsPerCycle,
    ["peak_assumption"] = cpu.PeakAssumption,
    ["theoretical_peak_gflops_fp32"] = cpu.TheoreticalPeakGflopsFp32,
    ["native_bf16"] = cpu.NativeBFloat16,
};
if (smoke) failures.AddRange(CpuCapabilitiesCheck.Run());

// Model-file load time (LoadGauModel of a base-size classifier), alone with --model-load; the smoke pass loads a tiny one.
if (args.Contains("--model-load") || smoke)
{
    report["model_load"] = ModelLoad.Run(smoke);
    if (!smoke) return 0;
}

// (a) the GEMM ceiling: squares and the model's own projection shapes at this run's batch and lengths.
var ceiling = MatmulCeiling.Measure(smoke, batch, lengths);
Console.WriteLine($"(a) matmul ceiling: fp32 {ceiling.Fp32:F1} GFLOP/s ({ceiling.Fp32Shape}), bf16 {(ceiling.Bf16 is { } b ? $"{b:F1} GFLOP/s ({ceiling.Bf16Shape})" : "unsupported")}; best of each shape at steady state:");
foreach (var m in ceiling.Measurements)
    Console.WriteLine($"      {m.DType} {m.Shape,-48} {m.Gflops,7:F1} GFLOP/s  ({m.Runs} runs, best {m.BestSeconds * 1e3:F2} ms)");
double? peak = cpu.TheoreticalPeakGflopsFp32;
Console.WriteLine(peak is { } p
    ? $"    theoretical fp32 peak {p:F1} GFLOP/s ({cpu.PhysicalCores} cores × {cpu.ClockMHz:F0} MHz from {cpu.ClockSource} × {cpu.Fp32FlopsPerCycle} FLOP/cycle: {cpu.PeakAssumption}); the measured fp32 ceiling is {ceiling.Fp32 / p:P0} of it{(ceiling.Fp32 > p ? " (above 100 %: the cores run faster than the clock read)" : "")}"
    : $"    theoretical fp32 peak unknown ({cpu.PeakAssumption})");
string nativeBf16 = cpu.NativeBFloat16
    ? $"computes bf16 natively ({string.Join(", ", new[] { "avx512_bf16", "amx_bf16" }.Where(cpu.HasFlag))})"
    : "does not compute bf16 natively (no avx512_bf16 or amx_bf16: bf16 goes through fp32 conversions)";
double? bf16Ratio = ceiling.Bf16 / ceiling.Fp32;
Console.WriteLine($"    bf16: this CPU {nativeBf16}; measured bf16/fp32 GEMM ratio {(bf16Ratio is { } ratioValue ? $"{ratioValue:F2}×" : "n/a (bf16 unsupported)")}");

// The PyTorch peers (our GAU-α and Transformer in plain PyTorch, same weights and inputs) run right after our
// cases at each length, so both sides of a ratio are measured minutes apart.
int threads = torch.get_num_threads();
var probe = Peers.Probe(threads);
var peerRows = new List<PeerRow>();
int? peerRepeats = smoke ? 5 : null;
string[] peerModes = smoke ? ["infer"] : ["infer", "train"];
if (probe.Available)
{
    Console.WriteLine($"PyTorch peer (peers/gau_peer.py, attention written out, {threads} threads): {probe.Describe()}");
    if (!probe.OpenBlas)
        Console.WriteLine("    warning: the peer does not run on OpenBLAS; Debian's reference BLAS is ~40× slower. Install libopenblas0-pthread and point libblas.so.3 at it: " +
                          "update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3");
}
else
{
    Console.WriteLine(probe.Describe());
}

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
            var result = Cases.RunInChild(kind, n, batch);
            row[kind + "_tokens_per_s"] = result.TokensPerSecond;
            row[kind + "_peak_mb"] = result.PeakMegabytes;
            row[kind + "_gflops"] = result.Gflops;
            if (kind == "gau-fused-infer") ceiling.Cover($"GAU-α fused inference n={n}", (long)batch * n, result.Gflops);
        }
    var checkpointed = Cases.RunInChild("gau-fused-train-checkpointed", n, batch);
    row["gau-fused-train-checkpointed_tokens_per_s"] = checkpointed.TokensPerSecond;
    row["gau-fused-train-checkpointed_peak_mb"] = checkpointed.PeakMegabytes;
    row["flop_ratio"] = Cases.GauFlopsPerToken(n) / Cases.TransformerFlopsPerToken(n);
    Console.WriteLine($"n={n,5}: GAU-α infer {row["gau-fused-infer_tokens_per_s"]:F0} tok/s ({row["gau-fused-infer_gflops"]:F1} GFLOP/s), train {row["gau-fused-train_tokens_per_s"]:F0} tok/s; " +
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
    if (probe.Available)
    {
        var peersHere = new List<PeerRow>();
        foreach (string model in new[] { "gau", "transformer" })
            peersHere.AddRange(Peers.Compare("base", model, n, batch, model == "gau" ? Cases.DefaultLayers : Cases.DefaultLayers / 2, peerModes,
                mode => ((double)row[$"{model}-fused-{mode}_tokens_per_s"], (double)row[$"{model}-explicit-{mode}_tokens_per_s"]), threads, peerRepeats));
        Peers.Print(peersHere);
        peerRows.AddRange(peersHere);
    }
}

// MFU against the final ceiling: Cover() has raised it past any case that ran faster, so it is at most 100%.
Console.WriteLine($"MFU of GAU-α fused inference against the measured fp32 ceiling {ceiling.Fp32:F1} GFLOP/s ({ceiling.Fp32Shape}):");
foreach (string note in ceiling.Notes) Console.WriteLine($"    note: {note}");
foreach (var row in rows)
{
    double gflops = (double)row["gau-fused-infer_gflops"], mfu = gflops / ceiling.Fp32;
    row["gau_mfu"] = mfu;
    if (peak is { } pk) row["gau_fraction_of_theoretical_peak"] = gflops / pk;
    Console.WriteLine($"    n={row["n"],5}: MFU {mfu:P0} ({gflops:F1} GFLOP/s{(peak is { } pp ? $"; {gflops / pp:P0} of the theoretical peak" : "")})");
    if (!(mfu > 0 && mfu <= 1)) failures.Add($"MFU at n={row["n"]} is {mfu:P1}, outside (0, 100%]");
}
report["matmul_gflops_fp32"] = ceiling.Fp32;
report["matmul_gflops_bf16"] = ceiling.Bf16 as object ?? "unsupported";
report["matmul_ceiling"] = new Dictionary<string, object?>
{
    ["fp32_gflops"] = ceiling.Fp32,
    ["fp32_shape"] = ceiling.Fp32Shape,
    ["bf16_gflops"] = ceiling.Bf16,
    ["bf16_shape"] = ceiling.Bf16Shape,
    ["bf16_over_fp32"] = bf16Ratio,
    ["native_bf16"] = cpu.NativeBFloat16,
    ["theoretical_peak_gflops_fp32"] = peak,
    ["fp32_fraction_of_theoretical_peak"] = ceiling.Fp32 / peak,
    ["notes"] = ceiling.Notes,
    ["measurements"] = ceiling.Measurements,
};

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
// fp32, 2 threads, PyTorch 1.13 + OpenBLAS), and the PyTorch peers: our GAU-α and Transformer in plain PyTorch,
// on the same weights and inputs, in this run.
(int portN, int portBatch) = smoke ? (64, 1) : (512, 4);
var portSetting = Cases.RunInChild("gau-fused-infer", portN, portBatch, layers: 2);
var portExplicit = Cases.RunInChild("gau-explicit-infer", portN, portBatch, layers: 2);
report["port_setting_tokens_per_s"] = portSetting.TokensPerSecond;
report["port_setting_explicit_tokens_per_s"] = portExplicit.TokensPerSecond;

if (probe.Available && !smoke) // the smoke pass checks the base setting only: the same code at another size
    peerRows.AddRange(Peers.Compare("(g)", "gau", portN, portBatch, 2, ["infer"], _ => (portSetting.TokensPerSecond, portExplicit.TokensPerSecond), threads, peerRepeats));
foreach (var r in peerRows)
{
    if (r.Error is not null) failures.Add($"peer {r.Setting} {r.Model} {r.Mode} n={r.N}: {r.Error}");
    else if (r.Parity is not { Passed: true }) failures.Add($"peer {r.Setting} {r.Model} n={r.N}: parity {r.Parity?.Relative:E2} not below {Peers.ParityTolerance:E0}");
}
report["peers"] = new Dictionary<string, object?>
{
    ["available"] = probe.Available,
    ["setup"] = probe.Describe(),
    ["parity_tolerance_relative"] = Peers.ParityTolerance,
    ["rows"] = peerRows,
};

var portPeer = peerRows.FirstOrDefault(r => r.Setting == "(g)");
string peerPart = portPeer is { RatioFused: { } rf, RatioExplicit: { } re, PeerTokensPerSecond: { } pt }
    ? $"; the PyTorch peer in this run (same weights, attention written out) {pt:F0} tok/s: ours/peer {rf:F2} fused, {re:F2} written out"
    : portPeer is not null ? $"; the PyTorch peer ran but is not comparable: {portPeer.Error}"
    : probe.Available ? "; the PyTorch peer runs at this setting in the full run"
    : $"; no PyTorch peer in this run ({probe.Problem})";
Console.WriteLine($"(g) the PyTorch port's quoted setting (2 GAU layers, batch {portBatch}, n {portN}, fp32): ours {portSetting.TokensPerSecond:F0} tok/s fused, " +
                  $"{portExplicit.TokensPerSecond:F0} tok/s written out{peerPart} (the port itself was quoted at ≈ 8,300 tok/s at batch 4, n 512)");
if (peerRows.Count > 0)
{
    Console.WriteLine("PyTorch peer vs ours, same run (ratio > 1: ours faster; the peer writes attention out, so the written-out column compares like with like):");
    Peers.Print(peerRows.OrderBy(r => r.Setting == "(g)" ? 0 : 1));
}
report["lengths"] = rows;

// (h) The scoring engines on the same weights and inputs, each in its own process (peak RSS = the serving process's).
var (engineRows, engineParity) = EngineCases.Table(lengths, batch, rounds: smoke ? 1 : 3);
report["engines"] = engineRows;
report["engine_parity"] = engineParity;
foreach (var apart in engineParity.Where(r => r.Engine == "onnx-fp32" && !(r.MaxAbsDifference <= 1e-4)))
    failures.Add($"(h) ONNX Runtime fp32 differs from TorchSharp fp32 by {apart.MaxAbsDifference:E2} at n {apart.N} (hidden states; allowed 1e-4)");

// (i) Named entities per head: training and scoring sentences/s (small preset, 40-character sentences, batch 32).
var entityRows = new Dictionary<string, object>();
int entitySentences = smoke ? 32 : 256;
foreach (string kind in EntityCases.Kinds)
{
    var trained = Cases.RunInChild(kind + "-train", entitySentences, 32);
    var scored = Cases.RunInChild(kind + "-infer", entitySentences, 32);
    entityRows[kind] = new { train_sentences_per_s = trained.TokensPerSecond, infer_sentences_per_s = scored.TokensPerSecond, train_peak_mb = trained.PeakMegabytes };
    Console.WriteLine($"(i) {kind}: training {trained.TokensPerSecond:F1} sentences/s, scoring {scored.TokensPerSecond:F1} sentences/s (small preset, 40 characters, batch 32)");
}
report["entities"] = entityRows;

// (m) Question answering at max length 512: training and scoring questions/s, peak memory (small preset; 700-character contexts).
int qaQuestions = smoke ? 4 : 32;
var qaTrained = Cases.RunInChild("qa-train", qaQuestions, 4);
var qaScored = Cases.RunInChild("qa-infer", qaQuestions, 32);
report["question_answering"] = new { train_questions_per_s = qaTrained.TokensPerSecond, infer_questions_per_s = qaScored.TokensPerSecond, train_peak_mb = qaTrained.PeakMegabytes, infer_peak_mb = qaScored.PeakMegabytes };
Console.WriteLine($"(m) question answering, max length 512 (small preset, 700-character contexts): training {qaTrained.TokensPerSecond:F2} questions/s (peak {qaTrained.PeakMegabytes:F0} MB), " +
                  $"scoring {qaScored.TokensPerSecond:F2} questions/s (peak {qaScored.PeakMegabytes:F0} MB)");

// (n) Long documents: full vs mixed-chunk attention, batch 1, 4 layers of base width (the smoke pass: n 512, two chunks).
var longRows = LongDocumentCases.Table(smoke ? [512] : [1024, 2048, 4096, 8192, 16384]);
report["long_documents"] = longRows;
if (smoke && longRows.Any(r => r.Failure is not null)) failures.Add("(n) a long-document case did not finish: " + longRows.First(r => r.Failure is not null).Failure);

var overhead = MLNetOverhead.Measure(smoke);
report["mlnet"] = overhead;
Console.WriteLine($"(f) ML.NET Transform {overhead.TransformRowsPerSecond:F0} rows/s vs raw encoder {overhead.RawRowsPerSecond:F0} rows/s: overhead {overhead.Overhead:P1}");

// The file-scoring stage in small (its full measurement is opt-in: --file-scoring, above).
var fileScoring = FileScoring.Measure(smoke ? 300 : 20_000);
report["file_scoring"] = fileScoring;
Console.WriteLine($"(l) file scoring (gau predict --input): {fileScoring.Rows} rows at {fileScoring.RowsPerSecond:F0} rows/s, RSS {fileScoring.ResidentStartMegabytes:F0} → {fileScoring.ResidentEndMegabytes:F0} MB");
if (fileScoring.OutputRows != fileScoring.Rows) failures.Add($"file scoring wrote {fileScoring.OutputRows} rows for {fileScoring.Rows}");

// (k) GauMLNet.Serving: a GAU transformer alone (the fast path) against the same one inside a saved pipeline.
var serving = ServingThroughput.Measure(smoke);
report["serving"] = serving;
Console.WriteLine($"(k) serving {serving.Rows} one-row requests, batches of 32: GAU transformer alone {serving.AloneRowsPerSecond:F0} rows/s, " +
    $"pipeline [NormalizeText → GAU → NormalizeLpNorm] {serving.PipelineRowsPerSecond:F0} rows/s (cost {serving.PipelineCost:P1}); max |Δ| vs the normalised fast path {serving.MaxAbsDifference:E1}");
if (!(serving.MaxAbsDifference < 1e-4)) failures.Add($"(k) the served pipeline's vectors differ from the fast path's, normalised, by {serving.MaxAbsDifference:E2}");

var memory = MemoryDrift.Measure(smoke ? 200 : 10_000);
report["memory_drift"] = memory;
Console.WriteLine($"native memory over {memory.Batches} inference batches: RSS {memory.FirstMegabytes:F0} MB after warm-up, {memory.LastMegabytes:F0} MB at the end (drift {memory.LastMegabytes - memory.FirstMegabytes:F1} MB)");

var bf16 = Bf16Accuracy.Measure(smoke);
report["bf16_inference"] = bf16;
Console.WriteLine(bf16.Supported
    ? $"bf16 inference (this CPU {nativeBf16}): {bf16.Speedup:F2}× the fp32 speed, max |Δ| of hidden states {bf16.MaxAbsDifference:E2} (relative RMS {bf16.RelativeRms:P2})"
    : "bf16 inference: not supported on this CPU/libtorch");

report["bf16_training"] = MixedPrecisionTraining.Measure(smoke); // (j), also in the smoke pass

report["checks_failed"] = failures;
string loadEnd = LoadAverage(); // one reading, printed and reported
report["load_average_end"] = loadEnd;
Console.WriteLine($"load average (1, 5, 15 min) at the end: {loadEnd}");
if (!smoke)
{
    var options = new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    File.WriteAllText("benchmark-results.json", JsonSerializer.Serialize(report, options));
    Console.WriteLine("wrote benchmark-results.json");
}
if (failures.Count > 0)
{
    Console.WriteLine($"{failures.Count} check(s) failed:");
    foreach (string failure in failures) Console.WriteLine($"    {failure}");
    return 1;
}
Console.WriteLine(smoke ? "smoke checks passed" : "all checks passed");
return 0;
