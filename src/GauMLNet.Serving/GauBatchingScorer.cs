using System.Diagnostics;
using System.Threading.Channels;
using GauMLNet.Tasks;
using GauMLNet.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GauMLNet.Serving;

/// <summary>
/// <see cref="IGauScorer"/>: requests are tokenized on the caller's thread, queued in a bounded channel, and gathered by
/// a batching loop into forward passes of up to <see cref="GauScoringOptions.MaxBatchSize"/> rows (length-sorted, padded
/// per batch). The first request of a batch waits at most <see cref="GauScoringOptions.MaxWait"/> for company; a full
/// queue rejects or waits (<see cref="GauScoringOptions.QueueFullMode"/>); a cancelled request leaves the queue at once
/// and is never scored. Engine-agnostic: it runs <see cref="GauTaskModel"/>'s engine, TorchSharp or ONNX Runtime.
/// </summary>
public sealed class GauBatchingScorer : IGauScorer, IAsyncDisposable, IDisposable
{
    private readonly GauScoringOptions _options;
    private readonly ILogger _logger;
    private readonly Func<GauTaskModel> _load;
    private readonly bool _ownsModel;
    private readonly Channel<Pending> _queue;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task<GauTaskModel>? _loading;
    private Task? _warmUp;
    private Task[] _loops = [];
    private GauScorerInfo? _info;
    private volatile bool _disposed;
    private long _requests, _rows, _batches, _rejected, _cancelled, _failed;

    /// <summary>A scorer that loads <see cref="GauScoringOptions.ModelPath"/> on first use (or on <see cref="WarmUpAsync"/>).</summary>
    public GauBatchingScorer(GauScoringOptions options, string name = GauScoring.DefaultName, ILogger? logger = null)
        : this(name, options, logger, model: null, ownsModel: true)
    {
    }

    /// <summary>A scorer over a model already loaded (e.g. a fitted transformer's <c>Model</c>); it is disposed with the scorer only when <paramref name="ownsModel"/>.</summary>
    public GauBatchingScorer(GauTaskModel model, GauScoringOptions? options = null, string name = GauScoring.DefaultName, bool ownsModel = false, ILogger? logger = null)
        : this(name, WithDefaultPath(options, model), logger, model: model ?? throw new ArgumentNullException(nameof(model)), ownsModel)
    {
    }

    private GauBatchingScorer(string name, GauScoringOptions options, ILogger? logger, GauTaskModel? model, bool ownsModel)
    {
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        _options = options.Clone();
        _options.Validate(name);
        _logger = logger ?? NullLogger.Instance;
        _ownsModel = ownsModel;
        _load = () => GauModelLoading.Load(_options);
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = _options.MaxConcurrentBatches == 1,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        if (model is not null) _loading = Task.FromResult(Started(model));
    }

    private static GauScoringOptions WithDefaultPath(GauScoringOptions? options, GauTaskModel model)
    {
        var copy = options?.Clone() ?? new GauScoringOptions();
        if (string.IsNullOrWhiteSpace(copy.ModelPath)) copy.ModelPath = model?.Package.Source ?? "in memory";
        return copy;
    }

    public string Name { get; }

    /// <summary>The loaded model, or null before it has loaded.</summary>
    public GauTaskModel? Model => _loading is { IsCompletedSuccessfully: true } loading ? loading.Result : null;

    public bool IsReady => _warmUp is { IsCompletedSuccessfully: true };

    public Exception? LoadError => _loading is { IsFaulted: true } loading ? loading.Exception!.GetBaseException() : null;

    public GauScorerStatistics Statistics => new(Interlocked.Read(ref _requests), Interlocked.Read(ref _rows), Interlocked.Read(ref _batches),
        Interlocked.Read(ref _rejected), Interlocked.Read(ref _cancelled), Interlocked.Read(ref _failed), _queue.Reader.Count);

    public Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _warmUp ??= WarmUpCoreAsync();
        }
        return _warmUp.WaitAsync(cancellationToken);
    }

    private async Task WarmUpCoreAsync()
    {
        var model = await ModelAsync(CancellationToken.None).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var rows = model.Encode([model.Spec.TextColumns.Length == 2 ? ["warm up", "warm up"] : ["warm up"]], out _);
        await Task.Run(() => model.Score(rows)).ConfigureAwait(false);
        _logger.LogInformation("GAU scorer '{Name}' ready: {Engine}; warm-up batch {Milliseconds:F0} ms", Name, model.Engine.Description, clock.Elapsed.TotalMilliseconds);
    }

    public async Task<GauScorerInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        await ModelAsync(cancellationToken).ConfigureAwait(false);
        return _info!;
    }

    public async Task<float[][]> ScoreAsync(IReadOnlyList<GauInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (inputs.Count == 0) return [];
        var model = await ModelAsync(cancellationToken).ConfigureAwait(false);
        bool pair = model.Spec.TextColumns.Length == 2;
        var rows = new string?[inputs.Count][];
        for (int i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (input.Text is null) throw new ArgumentException($"Input {i} has no text.", nameof(inputs));
            if (input.Text.Length > _options.MaxTextLength || (input.Pair?.Length ?? 0) > _options.MaxTextLength)
                throw new ArgumentException($"Input {i} is longer than {_options.MaxTextLength} characters.", nameof(inputs));
            if (pair && input.Pair is null)
                throw new ArgumentException($"GAU scorer '{Name}' scores sentence pairs: input {i} has no second text.", nameof(inputs));
            if (!pair && input.Pair is not null)
                throw new ArgumentException($"GAU scorer '{Name}' scores single texts: input {i} has a second text.", nameof(inputs));
            rows[i] = pair ? [input.Text, input.Pair] : [input.Text];
        }
        var encoded = model.Encode(rows, out _);

        Interlocked.Increment(ref _requests);
        var pending = new Pending(encoded, cancellationToken);
        if (cancellationToken.CanBeCanceled)
            pending.Registration = cancellationToken.Register(static state => ((Pending)state!).Cancel(), pending);
        bool queued;
        if (_options.QueueFullMode == QueueFullMode.Reject)
        {
            queued = _queue.Writer.TryWrite(pending);
            if (!queued && !_disposed)
            {
                Interlocked.Increment(ref _rejected);
                pending.Registration.Dispose();
                throw new GauScorerOverloadedException(Name, _options.QueueCapacity);
            }
        }
        else
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
                queued = true;
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                pending.Registration.Dispose();
                throw;
            }
            catch (ChannelClosedException)
            {
                queued = false;
            }
        }
        if (!queued)
        {
            pending.Registration.Dispose();
            throw new ObjectDisposedException(GetType().Name, $"GAU scorer '{Name}' is shutting down.");
        }
        try
        {
            return await pending.Result.Task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }
    }

    private Task<GauTaskModel> ModelAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _loading ??= Task.Run(() =>
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    var model = Started(_load());
                    _logger.LogInformation("GAU scorer '{Name}' loaded {Path} in {Seconds:F1} s: {Task} model, {Engine}", Name, _options.ModelPath,
                        clock.Elapsed.TotalSeconds, model.Spec.Task.ToString().ToLowerInvariant(), model.Engine.Description);
                    return model;
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "GAU scorer '{Name}' could not load {Path}", Name, _options.ModelPath);
                    throw;
                }
            });
        }
        return _loading.IsCompletedSuccessfully ? _loading : _loading.WaitAsync(cancellationToken);
    }

    // Called once, with the loaded model: describes it and starts the batching loops.
    private GauTaskModel Started(GauTaskModel model)
    {
        var spec = model.Spec;
        string[] labels = spec.Task == GauTask.Classification
            ? spec.Labels?.Values is { Length: > 0 } values && values.Length == spec.Outputs ? values : [.. Enumerable.Range(0, spec.Outputs).Select(LabelValues.UnnamedClass)]
            : [];
        string modelId = _options.ModelId ?? ModelIdOf(_options.ModelPath);
        int outputs = spec.Task == GauTask.Embedding ? model.Config.HiddenSize : spec.Outputs;
        _info = new GauScorerInfo(Name, modelId, spec.Task, spec.TextColumns.Length, outputs, labels, spec.MaxLength, model.Engine.Description, _options.ModelPath);
        if (model.Engine.Notice is { } notice) _logger.LogWarning("GAU scorer '{Name}': {Notice}", Name, notice);
        _loops = [.. Enumerable.Range(0, _options.MaxConcurrentBatches).Select(_ => Task.Run(() => BatchLoopAsync(model)))];
        return model;
    }

    private static string ModelIdOf(string path)
    {
        string trimmed = path.TrimEnd('/', '\\');
        return Path.GetExtension(trimmed).Equals(".zip", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(trimmed) : Path.GetFileName(trimmed);
    }

    private async Task BatchLoopAsync(GauTaskModel model)
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>();
        Pending? carried = null;
        try
        {
            while (carried is not null || await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                batch.Clear();
                int rows = 0;
                if (carried is not null)
                {
                    batch.Add(carried);
                    rows = carried.Rows.Length;
                    carried = null;
                }
                DateTime deadline = DateTime.UtcNow + _options.MaxWait;
                while (rows < _options.MaxBatchSize)
                {
                    if (reader.TryRead(out var next))
                    {
                        if (next.Result.Task.IsCompleted) continue; // cancelled while queued: never scored
                        if (rows > 0 && rows + next.Rows.Length > _options.MaxBatchSize)
                        {
                            carried = next; // starts the next batch
                            break;
                        }
                        batch.Add(next);
                        rows += next.Rows.Length;
                        continue;
                    }
                    var remaining = deadline - DateTime.UtcNow;
                    if (batch.Count == 0)
                    {
                        if (!await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false)) break;
                        deadline = DateTime.UtcNow + _options.MaxWait;
                        continue;
                    }
                    if (remaining <= TimeSpan.Zero || !await WaitForMoreAsync(reader, remaining).ConfigureAwait(false)) break;
                }
                batch.RemoveAll(p => p.Result.Task.IsCompleted);
                if (batch.Count > 0) Run(model, batch);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        if (carried is not null) carried.Result.TrySetException(new ObjectDisposedException(GetType().Name, $"GAU scorer '{Name}' is shutting down."));
    }

    private async Task<bool> WaitForMoreAsync(ChannelReader<Pending> reader, TimeSpan wait)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(wait);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            return false; // the wait is over: score what we have
        }
    }

    // One forward pass for the whole batch (several only when one request alone exceeds MaxBatchSize).
    private void Run(GauTaskModel model, List<Pending> batch)
    {
        var rows = batch.Count == 1 ? batch[0].Rows : batch.SelectMany(p => p.Rows).ToArray();
        float[][] outputs;
        try
        {
            outputs = model.Score(rows, _options.MaxBatchSize, out int passes);
            Interlocked.Add(ref _batches, passes);
            Interlocked.Add(ref _rows, rows.Length);
        }
        catch (Exception ex)
        {
            Interlocked.Add(ref _failed, batch.Count);
            _logger.LogError(ex, "GAU scorer '{Name}': a batch of {Rows} row(s) failed", Name, rows.Length);
            foreach (var pending in batch) pending.Complete(ex);
            return;
        }
        int at = 0;
        foreach (var pending in batch)
        {
            pending.Complete(outputs[at..(at + pending.Rows.Length)]);
            at += pending.Rows.Length;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _queue.Writer.TryComplete(); // queued requests are still scored; new ones are refused
        var drained = Task.WhenAll(_loops);
        if (await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false) != drained) _stopping.Cancel();
        try
        {
            await drained.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        while (_queue.Reader.TryRead(out var left)) left.Complete(new ObjectDisposedException(GetType().Name, $"GAU scorer '{Name}' is shutting down."));
        if (_loading is not null)
        {
            try
            {
                var model = await _loading.ConfigureAwait(false); // a load under way finishes first, so its model is not leaked
                await Task.WhenAll(_loops).ConfigureAwait(false);
                if (_ownsModel) model.Dispose();
            }
            catch (Exception) when (_loading.IsFaulted || _loading.IsCanceled)
            {
            }
        }
        _stopping.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private sealed class Pending(EncodedText[] rows, CancellationToken cancellationToken)
    {
        public EncodedText[] Rows { get; } = rows;
        public TaskCompletionSource<float[][]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel() => Result.TrySetCanceled(cancellationToken);

        public void Complete(float[][] outputs)
        {
            Result.TrySetResult(outputs);
            Registration.Dispose();
        }

        public void Complete(Exception error)
        {
            Result.TrySetException(error);
            Registration.Dispose();
        }
    }
}
