using GauMLNet.Configuration;
using GauMLNet.Engines;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Backend;

/// <summary>
/// Scores with libtorch: the task network in eval mode on its device, no autograd. A bf16 precision scores
/// with a converted copy, so the fp32 network (the weights that are saved) is never changed. Run is safe to
/// call from several threads: libtorch's grad mode and TorchSharp's dispose scopes are per thread.
/// </summary>
public sealed class TorchSharpInferenceEngine : IGauInferenceEngine
{
    private readonly TaskNetwork _network;
    private readonly Lazy<TaskNetwork> _scoring;
    private readonly bool _ownsNetwork = true;
    // Held from the first call with a row too long to score in 32 MB pieces until the engine is disposed: long rows' large
    // temporaries are then reused across layers and calls instead of mapped and page-faulted afresh each time.
    private readonly Lock _longRowHeapLock = new();
    private LargeBlockHeap.Scope? _longRowHeap;

    /// <param name="network">taken over: the engine disposes it</param>
    /// <param name="bf16">whether the device computes bf16 natively (the machine's probe when null)</param>
    public TorchSharpInferenceEngine(TaskNetwork network, EngineOptions options, Bf16Capability? bf16 = null)
    {
        Device = ComputeDevice.Resolve(options.Device);
        (Precision, Notice) = options.Precision switch
        {
            InferencePrecision.Int8 => (InferencePrecision.Float32, "int8 is the onnxruntime engine's precision; the torchsharp engine scores this model in fp32."),
            InferencePrecision.BFloat16 when (bf16 ?? Bf16Capability.Default).FallsBack(Device, options.ForcePrecision) =>
                (InferencePrecision.Float32, Bf16Capability.InferenceFallbackMessage),
            _ => (options.Precision, (string?)null),
        };
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        _network = network;
        _network.to(Device).eval();
        _scoring = new Lazy<TaskNetwork>(() =>
        {
            if (Precision == InferencePrecision.Float32) return _network;
            var converted = _network.EmptyTwin();
            converted.load_state_dict(_network.state_dict());
            converted.to(Device).to(Precision.ToScalarType()).eval();
            return converted;
        });
    }

    // Borrowed: scores the network as it stands (fp32, its current mode), leaves it to its owner.
    private TorchSharpInferenceEngine(TaskNetwork network, Device device)
    {
        _network = network;
        _ownsNetwork = false;
        Device = device;
        Precision = InferencePrecision.Float32;
        _scoring = new Lazy<TaskNetwork>(network);
    }

    /// <summary>
    /// An engine over a network that stays its caller's (a model in training): no copy, no change of device or mode;
    /// disposing the engine leaves the network alone.
    /// </summary>
    public static TorchSharpInferenceEngine Borrowing(TaskNetwork network, Device device) => new(network, device);

    public Device Device { get; }
    /// <summary>The precision the engine scores in (the requested one, or fp32 where it cannot).</summary>
    public InferencePrecision Precision { get; }

    public string? Notice { get; }

    /// <summary>The fp32 network (the weights that are saved).</summary>
    public TaskNetwork Network => _network;

    public string Description => $"torchsharp {(Precision == InferencePrecision.Float32 ? "fp32" : "bf16")} on {Device}";

    public EngineOutput Run(PaddedBatch batch)
    {
        var network = _scoring.Value;
        bool longRows = GauLayerStack.RowOutgrowsInferenceChunks(network.Config, batch.Length, Precision == InferencePrecision.Float32 ? 4 : 2);
        if (longRows) lock (_longRowHeapLock) _longRowHeap ??= LargeBlockHeap.KeepWhileScoringOn(Device); // one scope, even when threads race
        var output = TaskNetworkRunner.Run(network, batch, Device);
        if (longRows) _longRowHeap!.GiveBackIfMemoryIsShort(); // only long rows grow the heap; short calls read no /proc
        return output;
    }

    public void Dispose()
    {
        _longRowHeap?.Dispose();
        if (_scoring.IsValueCreated && !ReferenceEquals(_scoring.Value, _network)) _scoring.Value.Dispose();
        if (_ownsNetwork) _network.Dispose();
    }
}
