using GauMLNet.Engines;
using GauMLNet.Text;
using Microsoft.ML.OnnxRuntime;

namespace GauMLNet.Onnx;

/// <summary>
/// Scores padded batches with an exported GAU graph on ONNX Runtime: the CPU provider by default, CUDA when the device asks
/// for it and the application references Microsoft.ML.OnnxRuntime.Gpu (<see cref="ExecutionProviders"/>). Returns the head's raw output
/// (logits, score or embedding; the model's <see cref="OnnxNames.RawOutputKey"/>). Thread-safe: ONNX Runtime sessions
/// run concurrently; each call binds its own inputs and outputs.
/// </summary>
public sealed class OnnxRuntimeEngine : IGauInferenceEngine
{
    private static readonly string[] InputNames = [OnnxNames.InputIds, OnnxNames.TokenTypeIds, OnnxNames.AttentionMask];

    private readonly InferenceSession _session;
    private readonly string[] _outputNames;
    private int _disposed;

    /// <param name="model">ONNX bytes as <see cref="GauOnnxExporter"/> writes them</param>
    /// <param name="options">threads (0: <see cref="DefaultThreads"/>, one per processor this process may use); device auto or cpu
    /// (the CPU), cuda or cuda:N (CUDA), or a comma list tried in order</param>
    /// <param name="outputName">the output to return; null: the model's <see cref="OnnxNames.RawOutputKey"/>, else its first output</param>
    /// <param name="allowSpinning">false: idle intra-op threads sleep instead of spinning between and within calls
    /// (less CPU burned on a shared machine, slightly more latency)</param>
    /// <param name="configureSession">the application's last word on each session's options, after GauMLNet's (graph
    /// optimization, threads, execution mode, the provider): profiling, other providers, ONNX Runtime config entries</param>
    public OnnxRuntimeEngine(byte[] model, EngineOptions? options = null, string? outputName = null, bool allowSpinning = true,
        Action<SessionOptions>? configureSession = null)
    {
        options ??= new EngineOptions();
        if (options.Threads < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "Threads must be ≥ 0.");
        Threads = options.Threads > 0 ? options.Threads : DefaultThreads;
        var candidates = ExecutionProviders.For(options.Device, OrtEnv.Instance().GetAvailableProviders());
        Exception? failure = null;
        InferenceSession? session = null;
        foreach (var candidate in candidates)
        {
            try
            {
                session = Open(model, Threads, candidate, allowSpinning, configureSession);
                Device = candidate.DeviceName;
                break;
            }
            catch (OnnxRuntimeException ex) when (candidate.CudaDevice is not null)
            {
                failure = ex; // no such GPU, or no driver: the next choice, if any
            }
        }
        _session = session ?? throw new NotSupportedException($"Device '{options.Device}': ONNX Runtime could not start CUDA ({failure?.Message}); add cpu as a fallback (e.g. cuda:0,cpu).", failure);
        try
        {
            var metadata = _session.ModelMetadata.CustomMetadataMap;
            string output = outputName
                ?? (metadata.TryGetValue(OnnxNames.RawOutputKey, out var raw) ? raw : _session.OutputNames[0]);
            if (!_session.OutputNames.Contains(output))
                throw new InvalidDataException($"The ONNX model has no output '{output}' (it has {string.Join(", ", _session.OutputNames)}).");
            foreach (string input in InputNames)
                if (!_session.InputNames.Contains(input))
                    throw new InvalidDataException($"The ONNX model has no input '{input}'; it is not a GauMLNet export.");
            _outputNames = [output];
            Quantization = metadata.TryGetValue(OnnxNames.QuantizationKey, out var q) ? q : "unknown";
            string precision = Quantization == "dynamic_int8" ? "int8" : "fp32";
            string note = options.Precision == Configuration.InferencePrecision.BFloat16 ? ", bf16 requested: ONNX Runtime's CPU provider runs this graph in fp32" : "";
            Description = $"onnxruntime {precision} on {Device} ({Threads} threads{note})";
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    public string Description { get; }

    /// <summary>Where the session runs: cpu, or cuda:N.</summary>
    public string Device { get; } = "cpu";

    /// <summary>The session's intra-op threads: <see cref="EngineOptions.Threads"/>, or <see cref="DefaultThreads"/> when that is 0.</summary>
    public int Threads { get; }

    /// <summary>
    /// The processors this process may use (affinity and CPU quota counted), as libtorch's default. ONNX Runtime's own
    /// default counts physical cores from the CPU's topology and can find one on a virtual machine with two
    /// (docs/onnx.md), which halves its speed; GauMLNet passes the count explicitly instead.
    /// </summary>
    public static int DefaultThreads => Environment.ProcessorCount;

    private static InferenceSession Open(byte[] model, int threads, ExecutionProviders.Candidate candidate, bool allowSpinning,
        Action<SessionOptions>? configureSession)
    {
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        if (!allowSpinning) sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (candidate.CudaDevice is { } gpu) sessionOptions.AppendExecutionProvider_CUDA(gpu);
        configureSession?.Invoke(sessionOptions);
        return new InferenceSession(model, sessionOptions);
    }

    /// <summary>The model's quantization metadata: none, dynamic_int8 or unknown.</summary>
    public string Quantization { get; }

    /// <summary>The output <see cref="Run"/> returns.</summary>
    public string OutputName => _outputNames[0];

    /// <summary>
    /// The most tokens (rows × length) one ONNX Runtime call scores: a larger batch runs as consecutive calls of whole rows
    /// (at least one row each), which give the same values. ONNX Runtime's CPU GEMM slows as the product's row count grows
    /// past about a thousand (docs/onnx.md); 0 scores every batch in one call.
    /// </summary>
    public int TokensPerCall { get; init; } = DefaultTokensPerCall;

    /// <summary>The default <see cref="TokensPerCall"/>.</summary>
    public const int DefaultTokensPerCall = 1024;

    public EngineOutput Run(PaddedBatch batch)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        int rowsPerCall = RowsPerCall(TokensPerCall, batch.Length, batch.Rows);
        if (rowsPerCall >= batch.Rows) return RunOnce(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask, batch.Rows, batch.Length);

        float[]? values = null;
        int[]? shape = null;
        for (int first = 0; first < batch.Rows; first += rowsPerCall)
        {
            int rows = Math.Min(rowsPerCall, batch.Rows - first);
            var range = new Range(first * batch.Length, (first + rows) * batch.Length);
            var part = RunOnce(batch.InputIds.AsMemory(range), batch.TokenTypeIds.AsMemory(range), batch.AttentionMask.AsMemory(range), rows, batch.Length);
            if (values is null)
            {
                shape = [batch.Rows, .. part.Shape[1..]];
                values = new float[batch.Rows * part.RowWidth];
            }
            part.Values.CopyTo(values.AsSpan(first * part.RowWidth));
        }
        return new EngineOutput(values!, shape!);
    }

    /// <summary>Whole rows per call: as many as fit in <paramref name="tokensPerCall"/> (0: all), at least one.</summary>
    internal static int RowsPerCall(int tokensPerCall, int length, int rows) =>
        tokensPerCall <= 0 ? rows : Math.Clamp(tokensPerCall / Math.Max(length, 1), 1, Math.Max(rows, 1));

    private EngineOutput RunOnce(Memory<long> inputIds, Memory<long> tokenTypeIds, Memory<long> attentionMask, int rows, int length)
    {
        long[] shape = [rows, length];
        using var ids = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputIds, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tokenTypeIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, attentionMask, shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, InputNames, [ids, types, mask], _outputNames);
        var tensor = outputs[0];
        var dims = tensor.GetTensorTypeAndShape().Shape;
        return new EngineOutput(tensor.GetTensorDataAsSpan<float>().ToArray(), dims.Select(d => checked((int)d)).ToArray());
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _session.Dispose();
    }
}
