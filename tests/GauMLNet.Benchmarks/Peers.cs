using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>What the peer's Python reports about itself, or why it cannot run.</summary>
internal sealed record PeerProbe(bool Available, string? Torch, string? Numpy, string? Blas, bool OpenBlas, string? Problem)
{
    /// <summary>One line for the report: the setup, or what is missing and how to install it.</summary>
    public string Describe() => Available
        ? $"{Peers.Python}, torch {Torch}, numpy {Numpy}, BLAS {Blas}"
        : $"PyTorch peers skipped: {Problem}. Install: {Peers.InstallHint}";
}

/// <summary>Our output against the peer's on the same weights, input and key mask.</summary>
internal sealed record PeerParity(double MaxAbsDifference, double MaxAbsOurs, double Relative, bool Passed);

internal sealed record PeerCase(double TokensPerSecond, double BestSeconds, double PeakMegabytes, int Repeats);

/// <summary>
/// One side-by-side line: the peer's throughput and ours, measured in the same run. The peer runs twice: as PyTorch runs
/// by default, and with large blocks kept in the heap (glibc's MALLOC_MMAP_MAX_/MALLOC_TRIM_THRESHOLD_), the setting our
/// trainers make through LargeBlockHeap, so a training ratio cannot come from the malloc setting alone.
/// </summary>
internal sealed record PeerRow(
    string Setting, string Model, string Mode, int N, int Batch, int Layers,
    double? PeerTokensPerSecond, double? PeerPeakMegabytes,
    double? OursFusedTokensPerSecond, double? OursExplicitTokensPerSecond,
    double? RatioFused, double? RatioExplicit, PeerParity? Parity, string? Error,
    double? PeerSameHeapTokensPerSecond = null, double? RatioFusedSameHeap = null);

/// <summary>
/// The PyTorch peer (peers/gau_peer.py): the same GAU-α layers and Transformer baseline in plain PyTorch
/// 1.x with the attention written out, run with Debian's python3-torch on the same weights and inputs as
/// ours (shared through a safetensors file). Its output is checked against ours before its timing is
/// reported; a mismatch marks the row untrusted.
/// </summary>
internal static class Peers
{
    /// <summary>Debian's python3, where python3-torch installs; GAUMLNET_PEER_PYTHON names another interpreter.</summary>
    public static string Python => Environment.GetEnvironmentVariable("GAUMLNET_PEER_PYTHON") is { Length: > 0 } other ? other : "/usr/bin/python3";
    public const string InstallHint = "apt-get update && apt-get install -y python3-torch python3-numpy libopenblas0-pthread";

    /// <summary>Relative tolerance of the parity check: max |ours − peer| / max |ours|.</summary>
    public const double ParityTolerance = 1e-3;

    private const string CoreTypeOverride = "GAUMLNET_PEER_OPENBLAS_CORETYPE";

    // Malloc settings a caller's environment could pass on; the default run clears them so it is PyTorch as installed.
    private static readonly string[] MallocVariables = ["MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_MAX"];

    private static string Script => Path.Combine(AppContext.BaseDirectory, "peers", "gau_peer.py");

    public static PeerProbe Probe(int threads)
    {
        if (!File.Exists(Python)) return new(false, null, null, null, false, $"{Python} not found");
        if (!File.Exists(Script)) return new(false, null, null, null, false, $"the peer script is missing at {Script}");
        var (exit, stdout, stderr) = RunPython(["--probe", "--threads", threads.ToString()], TimeSpan.FromMinutes(2));
        if (exit != 0)
        {
            string missing = exit == 3 && LastLine(stderr).StartsWith("missing Python modules: ", StringComparison.Ordinal)
                ? $"{Python} lacks {string.Join(" and ", LastLine(stderr)["missing Python modules: ".Length..].Split(' '))}"
                : $"{Python} could not start the peer (exit {exit}): {LastLine(stderr)}";
            return new(false, null, null, null, false, missing);
        }
        var json = JsonNode.Parse(LastLine(stdout))!;
        var openBlas = json["blas"]?["openblas"];
        var libraries = json["blas"]?["libraries"]?.AsArray().Select(l => (string?)l).ToList() ?? [];
        string blas = openBlas is not null
            ? $"{string.Join(' ', ((string?)openBlas["config"] ?? "OpenBLAS").Split(' ').Take(2))} (core {openBlas["core"]}, {openBlas["threads"]} threads)"
            : libraries.Count > 0 ? string.Join(", ", libraries) : "none found in the process";
        if (Environment.GetEnvironmentVariable(CoreTypeOverride) is { Length: > 0 } forced) blas += $", core forced by {CoreTypeOverride}={forced}";
        else blas += ", core auto-detected";
        return new(true, (string?)json["torch"], (string?)json["numpy"], blas, openBlas is not null, null);
    }

    /// <summary>
    /// Writes random weights, x [batch, n, 768] and a key mask (some rows padded) to a safetensors file,
    /// computes our output on them (the library's default fused path), runs the peer in each mode (the first
    /// run also writes the peer's output for the parity check) and pairs each with our throughput.
    /// </summary>
    public static List<PeerRow> Compare(string setting, string model, int n, int batch, int layers, IReadOnlyList<string> modes,
        Func<string, (double? Fused, double? Explicit)> ours, int threads, int? repeats = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"gaumlnet-peer-{Environment.ProcessId}-{model}-{n}-{batch}-{layers}");
        Directory.CreateDirectory(directory);
        try
        {
            string weights = Path.Combine(directory, "inputs.safetensors"), peerOutput = Path.Combine(directory, "peer-output.safetensors");
            using var ourOutput = Prepare(model, n, batch, layers, weights);
            var rows = new List<PeerRow>();
            PeerParity? parity = null;
            foreach (string mode in modes)
            {
                var (fused, writtenOut) = ours(mode);
                PeerCase? result = null, sameHeap = null;
                string? error = null;
                try
                {
                    result = RunCase(weights, model, layers, mode, threads, parity is null ? peerOutput : null, repeats, largeBlocksInHeap: false);
                    sameHeap = RunCase(weights, model, layers, mode, threads, null, repeats, largeBlocksInHeap: true);
                }
                catch (InvalidOperationException ex) { error = ex.Message; }
                if (parity is null && result is not null) parity = CheckParity(ourOutput, peerOutput);
                bool trusted = result is not null && parity is { Passed: true };
                rows.Add(new PeerRow(setting, model, mode, n, batch, layers, result?.TokensPerSecond, result?.PeakMegabytes, fused, writtenOut,
                    trusted ? fused / result!.TokensPerSecond : null, trusted ? writtenOut / result!.TokensPerSecond : null, parity,
                    error ?? (parity is { Passed: false } ? "parity check failed: the peer does not compute our function, its timing is not reported as a comparison" : null),
                    sameHeap?.TokensPerSecond, trusted && sameHeap is not null ? fused / sameHeap.TokensPerSecond : null));
            }
            return rows;
        }
        finally
        {
            try { Directory.Delete(directory, recursive: true); }
            catch (IOException) { }
        }
    }

    private static Tensor Prepare(string model, int n, int batch, int layers, string path)
    {
        using var scope = NewDisposeScope();
        manual_seed(1234);
        nn.Module module;
        Func<Tensor, Tensor, Tensor> forward;
        IEnumerable<(string Name, Tensor Value)> parameters;
        if (model == "gau")
        {
            var config = Cases.BaseWidth with { NumHiddenLayers = layers };
            var backbone = new GauAlphaModel(config);
            ParameterInitialization.Apply(backbone, config with { Initializer = "lecun_normal" });
            using (no_grad())
            {
                // The q/k scales start at 1; random ones make q ≠ k, so a swapped or missing scale shows in the output.
                foreach (var (name, p) in backbone.named_parameters())
                    if (name.EndsWith("scaleoffset.weight", StringComparison.Ordinal)) p.copy_(1 + 0.2 * randn(p.shape));
            }
            module = backbone;
            forward = backbone.Encoder.call;
            parameters = backbone.named_parameters().Where(p => p.name.StartsWith("encoder.", StringComparison.Ordinal)).Select(p => (p.name, (Tensor)p.parameter));
        }
        else
        {
            var stack = new TransformerStack(layers, writesAttentionOut: false);
            module = stack;
            forward = stack.Forward;
            parameters = stack.named_parameters().Select(p => (p.name, (Tensor)p.parameter));
        }
        module.eval();
        var x = randn(batch, n, Cases.BaseWidth.HiddenSize);
        // Every odd row (the only row when batch is 1) has its last quarter padded: masking is part of the check.
        var lengths = tensor(Enumerable.Range(0, batch).Select(i => i % 2 == 1 || batch == 1 ? (long)(n - n / 4) : n).ToArray());
        var mask = arange(n).unsqueeze(0) < lengths.unsqueeze(1);
        var tensors = parameters.Select(p => KeyValuePair.Create(p.Name, p.Value))
            .Append(KeyValuePair.Create("x", x))
            .Append(KeyValuePair.Create("mask", mask.to(ScalarType.Float32)))
            .ToList();
        SafeTensors.Save(path, tensors);
        Tensor output;
        using (no_grad()) output = forward(x, mask).detach();
        var kept = output.MoveToOuterDisposeScope();
        module.Dispose();
        return kept;
    }

    private static PeerParity CheckParity(Tensor ours, string peerOutput)
    {
        using var scope = NewDisposeScope();
        var peer = SafeTensors.Load(peerOutput)["hidden"];
        if (!peer.shape.SequenceEqual(ours.shape)) return new PeerParity(double.PositiveInfinity, 0, double.PositiveInfinity, false);
        double maxDifference = (peer - ours).abs().max().item<float>();
        double maxOurs = ours.abs().max().item<float>();
        double relative = maxDifference / maxOurs;
        return new PeerParity(maxDifference, maxOurs, relative, double.IsFinite(relative) && relative < ParityTolerance);
    }

    private static PeerCase RunCase(string weights, string model, int layers, string mode, int threads, string? parityOutput, int? repeats, bool largeBlocksInHeap)
    {
        var arguments = new List<string> { "--weights", weights, "--model", model, "--layers", layers.ToString(), "--mode", mode, "--threads", threads.ToString() };
        if (parityOutput is not null) arguments.AddRange(["--parity-output", parityOutput]);
        if (repeats is { } r) arguments.AddRange(["--repeats", r.ToString()]);
        var (exit, stdout, stderr) = RunPython(arguments, TimeSpan.FromMinutes(30), largeBlocksInHeap ? LargeBlockHeap.AsEnvironment : null);
        if (exit != 0) throw new InvalidOperationException($"peer {model} {mode}{(largeBlocksInHeap ? " (large blocks in the heap)" : "")} failed (exit {exit}): {LastLine(stderr)}");
        return JsonSerializer.Deserialize<PeerCase>(LastLine(stdout))!;
    }

    private static (int Exit, string Stdout, string Stderr) RunPython(IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? malloc = null)
    {
        // -I: Debian's python3 with its own dist-packages only (no user site, no PYTHONPATH from other Pythons).
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-I");
        start.ArgumentList.Add(Script);
        foreach (string a in arguments) start.ArgumentList.Add(a);
        string threads = arguments.SkipWhile(a => a != "--threads").Skip(1).FirstOrDefault() ?? "2";
        foreach (string variable in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" }) start.Environment[variable] = threads;
        // OpenBLAS picks its kernels for the CPU it finds, as a default install does; an OPENBLAS_CORETYPE left in
        // the environment would force other kernels on it. GAUMLNET_PEER_OPENBLAS_CORETYPE forces a core on purpose.
        start.Environment.Remove("OPENBLAS_CORETYPE");
        if (Environment.GetEnvironmentVariable(CoreTypeOverride) is { Length: > 0 } forced) start.Environment["OPENBLAS_CORETYPE"] = forced;
        start.Environment.Remove(Cases.ChildMarker);
        foreach (string variable in MallocVariables) start.Environment.Remove(variable);
        if (malloc is not null)
            foreach (var (variable, value) in malloc) start.Environment[variable] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"the peer ran longer than {timeout.TotalMinutes:F0} minutes and was stopped");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string LastLine(string text) => text.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";

    /// <summary>Prints the side-by-side table.</summary>
    public static void Print(IEnumerable<PeerRow> rows)
    {
        Console.WriteLine($"    {"setting",-6} {"model",-11} {"mode",-5} {"n",5} {"batch",5} {"layers",6} | {"peer tok/s",10} {"peer MB",7} | {"ours fused",10} {"ours/peer",9} | {"ours written out",16} {"ours/peer",9} | {"peer same heap",14} {"ours/it",7} | parity max|Δ| (relative)");
        foreach (var r in rows)
        {
            string parity = r.Parity is { } p ? $"{p.MaxAbsDifference:E2} ({p.Relative:E2}){(p.Passed ? "" : " FAILED")}" : "—";
            Console.WriteLine($"    {r.Setting,-6} {(r.Model == "gau" ? "GAU-α" : "Transformer"),-11} {r.Mode,-5} {r.N,5} {r.Batch,5} {r.Layers,6} | " +
                              $"{Format(r.PeerTokensPerSecond, "F0"),10} {Format(r.PeerPeakMegabytes, "F0"),7} | " +
                              $"{Format(r.OursFusedTokensPerSecond, "F0"),10} {Format(r.RatioFused, "F2"),9} | " +
                              $"{Format(r.OursExplicitTokensPerSecond, "F0"),16} {Format(r.RatioExplicit, "F2"),9} | " +
                              $"{Format(r.PeerSameHeapTokensPerSecond, "F0"),14} {Format(r.RatioFusedSameHeap, "F2"),7} | {parity}");
            if (r.Error is not null) Console.WriteLine($"        {r.Error}");
        }
    }

    private static string Format(double? value, string format) => value is { } v ? v.ToString(format) : "—";
}
