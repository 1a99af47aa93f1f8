using System.Diagnostics;
using GauMLNet.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace GauMLNet.Benchmarks;

/// <summary>One GEMM to time: [M×K]·[K×N] (a square matmul), or [M×K]·[N×K]ᵀ as nn.Linear computes it.</summary>
internal sealed record GemmShape(string Name, long M, long K, long N, bool Linear)
{
    public double Flops => 2.0 * M * K * N;
    public override string ToString() => Linear ? $"{Name} ({M}×{K})·({N}×{K})ᵀ" : $"{Name} {M}×{K}×{N}";

    /// <summary>The GAU projections at a token count: i_dense d → 2e+s and o_dense e → d.</summary>
    public static IEnumerable<GemmShape> GauProjections(long tokens, string label) =>
    [
        new($"i_dense {label}", tokens, Cases.BaseWidth.HiddenSize, 2L * Cases.BaseWidth.IntermediateSize + Cases.BaseWidth.AttentionKeySize, true),
        new($"o_dense {label}", tokens, Cases.BaseWidth.IntermediateSize, Cases.BaseWidth.HiddenSize, true),
    ];
}

internal sealed record GemmResult(string Shape, string DType, long M, long K, long N, double Gflops, int Runs, double BestSeconds);

/// <summary>
/// (a) the machine's matmul ceiling through libtorch: the best fp32 (and bf16) GEMM throughput over square
/// shapes and the model's own projection shapes, each timed to steady state. MFU is measured against it, and
/// <see cref="Cover"/> keeps it a ceiling: a case that runs faster makes it re-measure.
/// </summary>
internal sealed class MatmulCeiling
{
    private readonly bool _smoke;

    private MatmulCeiling(bool smoke) => _smoke = smoke;

    public double Fp32 { get; private set; }
    public string Fp32Shape { get; private set; } = "";
    public double? Bf16 { get; private set; }
    public string? Bf16Shape { get; private set; }
    public List<GemmResult> Measurements { get; } = [];

    /// <summary>What happened when a case ran faster than the ceiling; printed and kept in the report.</summary>
    public List<string> Notes { get; } = [];

    // Per shape and type: time until the best has not improved by more than 0.5% for 3 runs, within this budget.
    private double Budget => _smoke ? 0.25 : 3.0;

    public static MatmulCeiling Measure(bool smoke, int batch, IReadOnlyList<int> lengths)
    {
        var ceiling = new MatmulCeiling(smoke);
        var shapes = new List<GemmShape>();
        long[] sides = smoke ? [256, 512] : [1024, 2048, 4096];
        foreach (long side in sides)
            shapes.Add(new GemmShape("square", side, side, side, false));
        foreach (int n in lengths)
            shapes.AddRange(GemmShape.GauProjections((long)batch * n, $"tokens {batch}×{n}"));
        foreach (var type in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            foreach (var shape in shapes)
            {
                var result = ceiling.MeasureOne(shape, type, ceiling.Budget);
                if (result is null) break; // the type is unsupported here
                ceiling.Record(result);
            }
        return ceiling;
    }

    private void Record(GemmResult result)
    {
        Measurements.Add(result);
        if (result.DType == "fp32" && result.Gflops > Fp32) (Fp32, Fp32Shape) = (result.Gflops, result.Shape);
        if (result.DType == "bf16" && result.Gflops > (Bf16 ?? 0)) (Bf16, Bf16Shape) = (result.Gflops, result.Shape);
    }

    /// <summary>Times one GEMM after a warm-up; null when libtorch cannot compute it in this type.</summary>
    private GemmResult? MeasureOne(GemmShape shape, ScalarType type, double budgetSeconds)
    {
        // The GEMM's own rate: by default glibc maps (and the kernel zeroes) a fresh block for every output over 32 MB.
        using var heap = LargeBlockHeap.Keep();
        using var scope = NewDisposeScope();
        var a = randn(shape.M, shape.K).to(type);
        var b = (shape.Linear ? randn(shape.N, shape.K) : randn(shape.K, shape.N)).to(type);
        void Run()
        {
            using var c = shape.Linear ? nn.functional.linear(a, b) : a.mm(b);
        }
        try { Run(); }
        catch (Exception) when (type != ScalarType.Float32) { return null; }
        Run(); // a second warm-up: the first call also pays for thread-pool and packing-buffer setup

        double best = double.MaxValue;
        int runs = 0, sinceImprovement = 0;
        var total = Stopwatch.StartNew();
        while (sinceImprovement < 3 && (total.Elapsed.TotalSeconds < budgetSeconds || runs < 3) && runs < 1000)
        {
            var clock = Stopwatch.StartNew();
            Run();
            double seconds = clock.Elapsed.TotalSeconds;
            runs++;
            sinceImprovement = seconds < best * 0.995 ? 0 : sinceImprovement + 1;
            best = Math.Min(best, seconds);
        }
        return new GemmResult(shape.ToString(), type == ScalarType.Float32 ? "fp32" : "bf16", shape.M, shape.K, shape.N, shape.Flops / best / 1e9, runs, best);
    }

    /// <summary>
    /// Keeps the ceiling above a case that measured <paramref name="caseGflops"/>: if it is faster, the
    /// case's own projection shapes are timed again with twice the budget; if it is still faster, its own
    /// rate becomes the ceiling. Either way it is said in <see cref="Notes"/>.
    /// </summary>
    public void Cover(string caseName, long tokens, double caseGflops)
    {
        if (!(caseGflops > Fp32)) return;
        string before = $"{caseName} ran at {caseGflops:F1} GFLOP/s, above the fp32 ceiling {Fp32:F1} GFLOP/s ({Fp32Shape})";
        foreach (var shape in GemmShape.GauProjections(tokens, $"tokens {tokens} (re-measured)"))
            Record(MeasureOne(shape, ScalarType.Float32, 2 * Budget)!);
        if (caseGflops > Fp32)
        {
            Notes.Add($"{before}; re-measured with its own shapes: still below it ({Fp32:F1} GFLOP/s), so the case's own rate is the ceiling");
            (Fp32, Fp32Shape) = (caseGflops, $"{caseName} itself");
        }
        else
        {
            Notes.Add($"{before}; re-measured with its own shapes: ceiling now {Fp32:F1} GFLOP/s ({Fp32Shape})");
        }
    }
}
