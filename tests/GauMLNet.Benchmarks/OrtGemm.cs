using GauMLNet.Onnx.Graph;
using GauMLNet.Onnx.Protos;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>
/// The GEMM rate ONNX Runtime's CPU provider (MLAS) reaches on the model's own shapes, beside libtorch's on the same
/// shapes in the same process: one MatMul graph per shape, its right-hand side a constant (the projections, which ONNX
/// Runtime pre-packs) or an input (attention's A·v).
/// </summary>
internal static class OrtGemm
{
    public static void Print(int threads)
    {
        var shapes = new (string Name, long Batch, long M, long K, long N, bool ConstantB)[]
        {
            ("i_dense 8×128 tokens", 1, 1024, 768, 3200, true),
            ("o_dense 8×128 tokens", 1, 1024, 1536, 768, true),
            ("u 1×1024 tokens", 1, 1024, 768, 1536, true),
            ("u 1×2048 tokens", 1, 2048, 768, 1536, true),
            ("u 1×4096 tokens", 1, 4096, 768, 1536, true),
            ("u 1×8192 tokens", 1, 8192, 768, 1536, true),
            ("u 8×1024 tokens, batched", 8, 1024, 768, 1536, true),
            ("i_dense 8×2048 tokens", 1, 16384, 768, 3200, true),
            ("A·v 8 × (512×512)·(512×1536)", 8, 512, 512, 1536, false),
            ("A·v 2 × (2048×2048)·(2048×1536)", 2, 2048, 2048, 1536, false),
        };
        Console.WriteLine($"ONNX Runtime MatMul vs libtorch mm, {threads} threads (best over 1.5 s after a warm-up, GFLOP/s):");
        foreach (var s in shapes)
        {
            double flops = 2.0 * s.Batch * s.M * s.K * s.N;
            double ort = flops / OrtSeconds(s.Batch, s.M, s.K, s.N, s.ConstantB, threads) / 1e9;
            double torchRate = flops / TorchSeconds(s.Batch, s.M, s.K, s.N) / 1e9;
            Console.WriteLine($"    {s.Name,-34} onnxruntime {ort,7:F1}   libtorch {torchRate,7:F1}   ratio {ort / torchRate:F2}");
        }
        PrintActivation(threads);
    }

    public static void PrintActivation(int threads)
    {
        foreach (long[] shape in new[] { new long[] { 8, 128, 1536 }, [1, 1024, 1536], [1024, 1536], [8, 1024, 1536] })
        {
            var builder = new OnnxGraphBuilder("act");
            builder.Input("x", TensorProto.Types.DataType.Float, shape.Cast<object>().ToArray());
            builder.Output(builder.MsOp("QuickGelu", "y", ["x"], Attr.Float("alpha", 1f)), "y", TensorProto.Types.DataType.Float, shape.Cast<object>().ToArray());
            var model = new ModelProto { IrVersion = 8, Graph = builder.Graph };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1 };
            using var session = new InferenceSession(model.ToByteArray(), options);
            long count = shape.Aggregate(1L, (a, b) => a * b);
            var random = new Random(1);
            using var x = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, (int)count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray(), shape);
            using var runOptions = new RunOptions();
            double seconds = Timer.BestWithin(() => { using var _ = session.Run(runOptions, ["x"], [x], ["y"]); }, 1, 5);
            Console.WriteLine($"    QuickGelu [{string.Join(",", shape)}]: {seconds * 1e3:F2} ms, {seconds * 1e9 / count:F3} ns/element");
        }
    }

    private static double OrtSeconds(long batch, long m, long k, long n, bool constantB, int threads)
    {
        var random = new Random(1);
        float[] Random(long count) => Enumerable.Range(0, checked((int)count)).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var builder = new OnnxGraphBuilder("gemm");
        builder.Input("a", TensorProto.Types.DataType.Float, batch, m, k);
        string b = constantB ? (batch == 1 ? builder.Initializer("b", Random(k * n), k, n) : builder.Initializer("b", Random(k * n), 1, k, n)) : "b";
        if (!constantB) builder.Input("b", TensorProto.Types.DataType.Float, batch, k, n);
        builder.Output(builder.Op("MatMul", "c", ["a", b]), "c", TensorProto.Types.DataType.Float, batch, m, n);
        var model = new ModelProto { IrVersion = 8, Graph = builder.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToByteArray(), options);
        using var a = OrtValue.CreateTensorValueFromMemory(Random(batch * m * k), [batch, m, k]);
        using var bValue = constantB ? null : OrtValue.CreateTensorValueFromMemory(Random(batch * k * n), [batch, k, n]);
        string[] names = constantB ? ["a"] : ["a", "b"];
        OrtValue[] inputs = constantB ? [a] : [a, bValue!];
        using var runOptions = new RunOptions();
        return Timer.BestWithin(() => { using var _ = session.Run(runOptions, names, inputs, ["c"]); }, budgetSeconds: 1.5, minimumRuns: 5);
    }

    private static double TorchSeconds(long batch, long m, long k, long n)
    {
        using var heap = GauMLNet.TorchSharp.Runtime.LargeBlockHeap.Keep();
        using var scope = NewDisposeScope();
        var a = randn(batch, m, k);
        var b = randn(batch, k, n);
        return Timer.BestWithin(() => { using var _ = a.matmul(b); }, budgetSeconds: 1.5, minimumRuns: 5);
    }
}
