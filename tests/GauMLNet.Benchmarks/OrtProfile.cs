using System.Text.Json;
using GauMLNet.Configuration;
using GauMLNet.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace GauMLNet.Benchmarks;

/// <summary>
/// ONNX Runtime's own profiler on table (h)'s model (base width, 4 GAU layers, mean-pooled embeddings, batch 8): the
/// share of each operator type, and the rate MatMul-type operators reach (their FLOPs from the profiled input shapes)
/// against the CPU's fp32 ceiling.
/// </summary>
internal static class OrtProfile
{
    private static readonly string[] MatMulTypes = ["MatMul", "FusedMatMul", "Gemm", "MatMulInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"];

    public static void Print(string checkpointDir, int[] lengths, int batch, double? peakGflops)
    {
        foreach (var (name, options) in new[] { ("fp32", new OnnxExportOptions()), ("int8", new OnnxExportOptions { Quantization = OnnxQuantization.DynamicInt8 }) })
        {
            byte[] model = GauOnnxExporter.Export(checkpointDir, GauOnnxHead.Embedding(SequencePooling.Mean), options);
            foreach (int n in lengths)
            {
                string prefix = Path.Combine(Path.GetTempPath(), $"gau-ort-profile-{Environment.ProcessId}-{name}-{n}");
                using var sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = OnnxRuntimeEngine.DefaultThreads, InterOpNumThreads = 1 };
                using var session = new InferenceSession(model, sessionOptions); // warm-up session: no profile
                Run(session, n, batch);
                int calls = CallsPerBatch(n, batch);
                sessionOptions.ProfileOutputPathPrefix = prefix; // before EnableProfiling, which reads it
                sessionOptions.EnableProfiling = true;
                using var profiled = new InferenceSession(model, sessionOptions);
                const int runs = 3;
                for (int r = 0; r <= runs; r++) Run(profiled, n, batch); // the first run (arena growth, first touch) is left out below
                string trace = profiled.EndProfiling();
                Summarize(name, n, batch, runs, calls, trace, peakGflops);
                if (Environment.GetEnvironmentVariable("GAUMLNET_KEEP_ORT_TRACE") is null) File.Delete(trace);
            }
        }
    }

    // As OnnxRuntimeEngine scores a batch: whole rows, at most its default tokens per call.
    private static int CallsPerBatch(int n, int batch) => (batch + RowsPerCall(n, batch) - 1) / RowsPerCall(n, batch);

    private static int RowsPerCall(int n, int batch) => OnnxRuntimeEngine.RowsPerCall(OnnxRuntimeEngine.DefaultTokensPerCall, n, batch);

    private static void Run(InferenceSession session, int n, int batch)
    {
        for (int first = 0; first < batch; first += RowsPerCall(n, batch)) RunCall(session, n, Math.Min(RowsPerCall(n, batch), batch - first));
    }

    private static void RunCall(InferenceSession session, int n, int batch)
    {
        var random = new Random(1);
        var ids = new long[batch * n];
        for (int i = 0; i < ids.Length; i++) ids[i] = i % n == 0 ? 2 : random.Next(5, 12000);
        long[] shape = [batch, n];
        using var a = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var b = OrtValue.CreateTensorValueFromMemory(new long[batch * n], shape);
        using var c = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, batch * n).ToArray(), shape);
        using var runOptions = new RunOptions();
        using var _ = session.Run(runOptions, [OnnxNames.InputIds, OnnxNames.TokenTypeIds, OnnxNames.AttentionMask], [a, b, c], session.OutputNames);
    }

    private static long[] Dims(JsonElement shapes) =>
        shapes.GetArrayLength() == 0 ? [] : [.. shapes[0].EnumerateObject().First().Value.EnumerateArray().Select(d => d.GetInt64())];

    private static void Summarize(string name, int n, int batch, int runs, int calls, string tracePath, double? peakGflops)
    {
        using var trace = JsonDocument.Parse(File.ReadAllText(tracePath));
        var microsByOp = new Dictionary<string, double>();
        double matmulMicros = 0, matmulFlops = 0;
        var runStarts = trace.RootElement.EnumerateArray()
            .Where(e => e.TryGetProperty("name", out var n) && n.GetString() == "model_run")
            .Select(e => e.GetProperty("ts").GetDouble()).Order().ToList();
        if (runStarts.Count != (runs + 1) * calls) throw new InvalidDataException($"{tracePath}: {runStarts.Count} model runs for {(runs + 1) * calls}");
        foreach (var e in trace.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("cat", out var cat) || cat.GetString() != "Node") continue;
            if (e.GetProperty("ts").GetDouble() < runStarts[calls]) continue; // the warm-up batch
            if (!e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            var args = e.GetProperty("args");
            string op = args.GetProperty("op_name").GetString()!;
            double micros = e.GetProperty("dur").GetDouble();
            microsByOp[op] = microsByOp.GetValueOrDefault(op) + micros;
            // The profile lists activations, not initializers: FLOPs = 2 · (output elements) · K, K the first input's last axis.
            if (!MatMulTypes.Contains(op) || !args.TryGetProperty("input_type_shape", out var inputs) || !args.TryGetProperty("output_type_shape", out var outputs)) continue;
            long[] first = Dims(inputs), output = Dims(outputs);
            if (first.Length == 0 || output.Length == 0) continue;
            matmulFlops += 2 * output.Aggregate(1.0, (p, d) => p * d) * first[^1];
            matmulMicros += micros;
        }
        double total = microsByOp.Values.Sum();
        double gflops = matmulFlops / (matmulMicros * 1e3);
        Console.WriteLine($"(h') onnxruntime {name}, n={n}, batch {batch} in {calls} call(s): {total / runs / 1e3:F1} ms of kernels per batch; " +
            $"MatMul-type {matmulMicros / total:P0} at {gflops:F0} GFLOP/s" + (peakGflops is { } peak ? $" ({gflops / peak:P0} of the {peak:F0} GFLOP/s fp32 ceiling)" : ""));
        foreach (var (op, micros) in microsByOp.OrderByDescending(p => p.Value).Take(8))
            Console.WriteLine($"      {op,-34} {micros / total,6:P1}  {micros / runs / 1e3,8:F2} ms/batch");
    }
}
