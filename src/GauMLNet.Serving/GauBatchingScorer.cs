using System.Diagnostics;
using System.Threading.Channels;
using GauMLNet.Scoring;
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
/// A model file that saved a pipeline is served whole: each batch becomes one in-memory data view that runs through every
/// transform (<see cref="GauServedModel"/>). Reports to <see cref="GauServingTelemetry"/>'s meter and activity source.
/// </summary>
public sealed class GauBatchingScorer : IGauScorer, IAsyncDisposable, IDisposable
{
    private readonly GauScoringOptions _options;
    private readonly ILogger _logger;
    private readonly Func<GauServedModel> _load;
    private readonly bool _ownsModel;
    private readonly Channel<Pending> _queue;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly KeyValuePair<string, object?> _tag;
    private Task<GauServedModel>? _loading;
    private GauServedModel? _served;
    private Task? _warmUp;
    private Task? _disposing;
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
        _tag = new KeyValuePair<string, object?>(GauServingTelemetry.ScorerTag, name);
        _load = () => GauModelLoading.Load(_options);
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = _options.MaxConcurrentBatches == 1,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        if (model is not null) _loading = Task.FromResult(Started(new GauServedModel(model, pipeline: null)));
        GauServingTelemetry.Started(this);
    }

    private static GauScoringOptions WithDefaultPath(GauScoringOptions? options, GauTaskModel model)
    {
        var copy = options?.Clone() ?? new GauScoringOptions();
        if (string.IsNullOrWhiteSpace(copy.ModelPath)) copy.ModelPath = model?.Package.Source ?? "in memory";
        return copy;
    }

    public string Name { get; }

    /// <summary>The loaded GAU model, or null before it has loaded.</summary>
    public GauTaskModel? Model => Volatile.Read(ref _served)?.Model;

    public GauScorerInfo? Info => Volatile.Read(ref _info);

    public bool IsReady => _warmUp is { IsCompletedSuccessfully: true };

    public Exception? LoadError => _loading is { IsFaulted: true } loading ? loading.Exception!.GetBaseException() : null;

    public GauScorerStatistics Statistics => new(Interlocked.Read(ref _requests), Interlocked.Read(ref _rows), Interlocked.Read(ref _batches),
        Interlocked.Read(ref _rejected), Interlocked.Read(ref _cancelled), Interlocked.Read(ref _failed), _queue.Reader.Count);

    internal int QueueDepth => _queue.Reader.Count;

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
        var served = await ModelAsync(CancellationToken.None).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        bool pair = served.Model.Spec.TextColumns.Length == 2;
        if (served.Pipeline is { } pipeline)
        {
            await Task.Run(() => pipeline.Score([new GauInput("warm up", pair ? "warm up" : null)], _options.MaxBatchSize)).ConfigureAwait(false);
        }
        else
        {
            var rows = served.Model.Encode([pair ? ["warm up", "warm up"] : ["warm up"]], out _);
            await Task.Run(() => served.Model.Score(rows)).ConfigureAwait(false);
        }
        _logger.LogInformation("GAU scorer '{Name}' ready: {Engine}; warm-up batch {Milliseconds:F0} ms", Name, served.Model.Engine.Description, clock.Elapsed.TotalMilliseconds);
    }

    public async Task<GauScorerInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        await ModelAsync(cancellationToken).ConfigureAwait(false);
        return _info!;
    }

    public async Task<float[][]> ScoreAsync(IReadOnlyList<GauInput> inputs, CancellationToken cancellationToken = default) =>
        (await ScoreDetailedAsync(inputs, cancellationToken).ConfigureAwait(false)).Values;

    public async Task<GauScores> ScoreDetailedAsync(IReadOnlyList<GauInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (inputs.Count == 0) return new GauScores([], null, []);
        long arrived = Stopwatch.GetTimestamp();
        var served = await ModelAsync(cancellationToken).ConfigureAwait(false);
        var model = served.Model;
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
        // The fast path tokenizes here, on the caller's thread; a pipeline's transforms run first, in the batch.
        var pending = served.Pipeline is null
            ? new Pending(model.Encode(rows, out _), null, cancellationToken)
            : new Pending(null, [.. inputs], cancellationToken);
        if (GauServingTelemetry.ActivitySource.HasListeners() && Activity.Current is { } caller) pending.Caller = caller.Context;

        if (cancellationToken.CanBeCanceled)
            pending.Registration = cancellationToken.Register(static state => ((Pending)state!).Cancel(), pending);
        bool queued;
        if (_options.QueueFullMode == QueueFullMode.Reject)
        {
            queued = _queue.Writer.TryWrite(pending);
            if (!queued && !_disposed)
            {
                Interlocked.Increment(ref _rejected);
                GauServingTelemetry.Rejections.Add(1, _tag);
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
        Interlocked.Increment(ref _requests);
        GauServingTelemetry.Requests.Add(1, _tag);
        GauServingTelemetry.Rows.Add(inputs.Count, _tag);
        try
        {
            var result = await pending.Completion.Task.ConfigureAwait(false);
            GauServingTelemetry.RequestDuration.Record(Stopwatch.GetElapsedTime(arrived).TotalSeconds, _tag);
            return result;
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }
        catch (Exception ex)
        {
            GauServingTelemetry.RequestDuration.Record(Stopwatch.GetElapsedTime(arrived).TotalSeconds, _tag,
                new KeyValuePair<string, object?>(GauServingTelemetry.ErrorTypeTag, ex.GetType().FullName));
            throw;
        }
    }

    private Task<GauServedModel> ModelAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _loading ??= Task.Run(() =>
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    var served = Started(_load());
                    _logger.LogInformation("GAU scorer '{Name}' loaded {Path} in {Seconds:F1} s: {Task} model, {Engine}{Pipeline}", Name, _options.ModelPath,
                        clock.Elapsed.TotalSeconds, served.Model.Spec.Task.ToString().ToLowerInvariant(), served.Model.Engine.Description,
                        served.Pipeline is null ? "" : "; the saved pipeline: " + string.Join(" → ", served.Transforms));
                    return served;
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
    private GauServedModel Started(GauServedModel served)
    {
        var model = served.Model;
        var spec = model.Spec;
        string[] labels = spec.Task == GauTask.Classification
            ? spec.Labels?.Values is { Length: > 0 } values && values.Length == spec.Outputs ? values : [.. Enumerable.Range(0, spec.Outputs).Select(LabelValues.UnnamedClass)]
            : [];
        string modelId = _options.ModelId ?? ModelIdOf(_options.ModelPath);
        int outputs = spec.Task == GauTask.Embedding ? model.Config.HiddenSize : spec.Outputs;
        Volatile.Write(ref _info, new GauScorerInfo(Name, modelId, spec.Task, spec.TextColumns.Length, outputs, labels, spec.MaxLength, model.Engine.Description,
            _options.ModelPath, served.Transforms));
        Volatile.Write(ref _served, served);
        if (model.Engine.Notice is { } notice) _logger.LogWarning("GAU scorer '{Name}': {Notice}", Name, notice);
        _loops = [.. Enumerable.Range(0, _options.MaxConcurrentBatches).Select(_ => Task.Run(() => BatchLoopAsync(served)))];
        return served;
    }

    private static string ModelIdOf(string path)
    {
        string trimmed = path.TrimEnd('/', '\\');
        return Path.GetExtension(trimmed).Equals(".zip", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(trimmed) : Path.GetFileName(trimmed);
    }

    private async Task BatchLoopAsync(GauServedModel served)
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
                    rows = carried.Rows;
                    carried = null;
                }
                DateTime deadline = DateTime.UtcNow + _options.MaxWait;
                while (rows < _options.MaxBatchSize)
                {
                    if (reader.TryRead(out var next))
                    {
                        if (next.Completion.Task.IsCompleted) continue; // cancelled while queued: never scored
                        if (rows > 0 && rows + next.Rows > _options.MaxBatchSize)
                        {
                            carried = next; // starts the next batch
                            break;
                        }
                        batch.Add(next);
                        rows += next.Rows;
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
                batch.RemoveAll(p => p.Completion.Task.IsCompleted);
                if (batch.Count > 0) Run(served, batch);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        if (carried is not null) carried.Completion.TrySetException(new ObjectDisposedException(GetType().Name, $"GAU scorer '{Name}' is shutting down."));
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

    // One gathered batch: one forward pass on the fast path (several only when one request alone exceeds MaxBatchSize),
    // one in-memory data view through the saved pipeline otherwise.
    private void Run(GauServedModel served, List<Pending> batch)
    {
        int count = batch.Sum(p => p.Rows);
        using var activity = StartBatchActivity(batch, count);
        GauServingTelemetry.BatchSize.Record(count, _tag);
        PipelineOutput outputs;
        try
        {
            if (served.Pipeline is { } pipeline)
            {
                var inputs = batch.Count == 1 ? batch[0].Inputs! : [.. batch.SelectMany(p => p.Inputs!)];
                long before = served.Model.ForwardPasses;
                outputs = pipeline.Score(inputs, _options.MaxBatchSize);
                Interlocked.Add(ref _batches, Math.Max(1, served.Model.ForwardPasses - before));
            }
            else
            {
                var rows = batch.Count == 1 ? batch[0].Encoded! : [.. batch.SelectMany(p => p.Encoded!)];
                outputs = new PipelineOutput(served.Model.Score(rows, _options.MaxBatchSize, out int passes), null, null);
                Interlocked.Add(ref _batches, passes);
            }
            Interlocked.Add(ref _rows, count);
        }
        catch (Exception ex)
        {
            Interlocked.Add(ref _failed, batch.Count);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.SetTag(GauServingTelemetry.ErrorTypeTag, ex.GetType().FullName);
            _logger.LogError(ex, "GAU scorer '{Name}': a batch of {Rows} row(s) failed", Name, count);
            foreach (var pending in batch) pending.Complete(ex);
            return;
        }
        int at = 0;
        foreach (var pending in batch)
        {
            var range = at..(at + pending.Rows);
            int[]? tokens = pending.Encoded is { } encoded ? [.. encoded.Select(e => e.Length)] : outputs.Tokens?[range];
            pending.Complete(new GauScores(outputs.Values[range], outputs.Labels?[range], tokens));
            at += pending.Rows;
        }
    }

    private Activity? StartBatchActivity(List<Pending> batch, int rows)
    {
        if (!GauServingTelemetry.ActivitySource.HasListeners()) return null;
        // A batch serves many requests: it links to each caller's span instead of having one parent.
        var links = batch.Where(p => p.Caller is not null).Select(p => new ActivityLink(p.Caller!.Value)).ToList();
        var activity = GauServingTelemetry.ActivitySource.StartActivity(GauServingTelemetry.BatchActivityName, ActivityKind.Internal, parentContext: default,
            tags: null, links: links);
        activity?.SetTag(GauServingTelemetry.ScorerTag, Name);
        activity?.SetTag("gaumlnet.batch.requests", batch.Count);
        activity?.SetTag("gaumlnet.batch.rows", rows);
        activity?.SetTag("gaumlnet.model.id", _info?.ModelId);
        return activity;
    }

    /// <summary>
    /// Refuses new requests, lets the queued ones be scored, then stops the batching loops and releases the model (after
    /// 30 s, requests still queued are failed).
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true;
            _disposing ??= DisposeCoreAsync();
        }
        return new ValueTask(_disposing);
    }

    /// <summary>Starts what <see cref="DisposeAsync"/> does and returns without waiting: the queue drains and the model is released in the background.</summary>
    public void Dispose() => _ = DisposeAsync();

    private async Task DisposeCoreAsync()
    {
        GauServingTelemetry.Stopped(this);
        _queue.Writer.TryComplete(); // queued requests are still scored; new ones are refused
        var drained = Task.WhenAll(_loops);
        if (await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(30))).ConfigureAwait(false) != drained) await _stopping.CancelAsync().ConfigureAwait(false);
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
                var served = await _loading.ConfigureAwait(false); // a load under way finishes first, so its model is not leaked
                await Task.WhenAll(_loops).ConfigureAwait(false);
                if (_ownsModel) served.Dispose();
            }
            catch (Exception) when (_loading.IsFaulted || _loading.IsCanceled)
            {
            }
        }
        _stopping.Dispose();
    }

    private sealed class Pending(EncodedText[]? encoded, GauInput[]? inputs, CancellationToken cancellationToken)
    {
        /// <summary>The tokenized rows (the fast path), else null.</summary>
        public EncodedText[]? Encoded { get; } = encoded;

        /// <summary>The raw rows for the saved pipeline, else null.</summary>
        public GauInput[]? Inputs { get; } = inputs;

        public int Rows { get; } = encoded?.Length ?? inputs!.Length;
        public ActivityContext? Caller { get; set; }
        public TaskCompletionSource<GauScores> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel() => Completion.TrySetCanceled(cancellationToken);

        public void Complete(GauScores scores)
        {
            Completion.TrySetResult(scores);
            Registration.Dispose();
        }

        public void Complete(Exception error)
        {
            Completion.TrySetException(error);
            Registration.Dispose();
        }
    }
}
