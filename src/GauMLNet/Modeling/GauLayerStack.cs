using System.Collections.ObjectModel;
using GauMLNet.Configuration;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>
/// "encoder" in the port's names: the GAU layers, run over hidden states x [b, n, d] with a key mask
/// [b, n] (true for real tokens), every layer sharing one RoPE table.
/// </summary>
public sealed class GauLayerStack : nn.Module<Tensor, Tensor, Tensor>
{
    [ComponentName(Name = "layer")] private readonly ModuleList<GauLayer> _layers;
    private readonly GauAlphaConfig _config;

    public GauLayerStack(GauAlphaConfig config) : base(nameof(GauLayerStack))
    {
        _config = config;
        _layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new GauLayer(config)).ToArray());
        Layers = new ReadOnlyCollection<GauLayer>(_layers);
        RegisterComponents();
    }

    public IReadOnlyList<GauLayer> Layers { get; }

    public override Tensor forward(Tensor x, Tensor keyMask)
    {
        var rope = RotaryPositionEmbedding.Create(x.shape[1], _config.AttentionKeySize, x.device, x.dtype);
        long rows = is_grad_enabled() ? x.shape[0] : RowsPerInferenceChunk(x);
        if (rows >= x.shape[0]) return RunLayers(x, keyMask, rope);
        using var scope = NewDisposeScope();
        ChunkedInferences++;
        var chunks = new List<Tensor>();
        for (long start = 0; start < x.shape[0]; start += rows)
        {
            var slice = TensorIndex.Slice(start, start + rows);
            chunks.Add(RunLayers(x[slice], keyMask[slice], rope));
        }
        return cat(chunks, 0).MoveToOuterDisposeScope();
    }

    private Tensor RunLayers(Tensor x, Tensor keyMask, RotaryPositionEmbedding rope)
    {
        foreach (var layer in _layers)
            x = RecomputesLayer(x) ? LayerCheckpoint.Forward(layer, x, keyMask, rope) : layer.call(x, keyMask, rope);
        return x;
    }

    /// <summary>Inference passes run in row chunks on this thread; for tests.</summary>
    [ThreadStatic] internal static int ChunkedInferences;

    /// <summary>Largest temporary (bytes) an inference chunk may allocate: by default glibc's largest mmap threshold, 32 MB.</summary>
    internal long InferenceChunkBytes { get; set; } = MmapThresholdCeiling;

    // glibc's mmap threshold never rises above this: larger blocks are mapped afresh for every allocation.
    private const long MmapThresholdCeiling = 32L << 20;

    /// <summary>Whether one row of <paramref name="n"/> tokens makes a temporary glibc maps afresh: row chunks cannot help it.</summary>
    internal static bool RowOutgrowsInferenceChunks(GauAlphaConfig config, long n, long elementSize) =>
        LargestRowTemporaryBytes(config, n, elementSize) > MmapThresholdCeiling;

    /// <summary>
    /// The widest temporary one row of <paramref name="n"/> tokens makes in a layer: the projection x·W_i, [n, 2e + s],
    /// or the attention map, [n, n] (full) or [n, C] (mixed-chunk), in at least fp32.
    /// </summary>
    private static long LargestRowTemporaryBytes(GauAlphaConfig config, long n, long elementSize)
    {
        long span = config.AttentionSpan == AttentionSpan.MixedChunk ? Math.Min(n, config.EffectiveChunkSize) : n;
        return Math.Max(2L * config.IntermediateSize + config.AttentionKeySize, span) * n * Math.Max(4, elementSize);
    }

    // Inference (no autograd) runs the rows in chunks whose largest temporary — the projection x·W_i, [rows, n, 2e + s],
    // or the attention map, [rows, n, n] in fp32 — stays within 32 MB. glibc serves larger blocks with a fresh mmap every
    // time (its mmap threshold never rises above 32 MB), so each of them is page-faulted and zeroed anew by the kernel on
    // every call: at n = 2048, batch 8, about 1.1 GB per layer, the main cost that held inference there to 77% of the
    // matmul ceiling. Blocks within 32 MB are reused from the heap. Rows never see each other, so the outputs are the
    // same (up to the matmuls' summation order). Training keeps every layer's activations for backward, so it cannot.
    // A single row wider than 32 MB cannot be split: the inference engine keeps large blocks in the heap for its call.
    private long RowsPerInferenceChunk(Tensor x)
    {
        if (x.device.type != global::TorchSharp.DeviceType.CPU) return x.shape[0];
        return Math.Max(1, InferenceChunkBytes / LargestRowTemporaryBytes(_config, x.shape[1], x.ElementSize));
    }

    // Checkpoint only while training with autograd on, and only layers whose input needs a gradient:
    // the recomputation runs from the input's backward, which never runs for an input that needs none
    // (the first trainable layer above frozen ones).
    private bool RecomputesLayer(Tensor x) => _config.GradientCheckpointing && training && is_grad_enabled() && x.requires_grad;
}
