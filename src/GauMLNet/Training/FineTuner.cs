using System.Diagnostics;
using GauMLNet.Configuration;
using GauMLNet.Engines;
using GauMLNet.Evaluation;
using GauMLNet.Scoring;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Batches;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using GauMLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Training;

/// <summary>
/// Fine-tunes a task network (classification or regression head): AdamW (no decay on scales and biases), linear decay
/// with optional warmup, gradient clipping, layer freezing, seeded shuffling and dropout, a full validation
/// pass after each epoch with early stopping and the best epoch's weights restored, cancellation within one
/// step, and a clear stop with the last good weights if the loss diverges; fp32 or bf16 mixed precision
/// (<see cref="MixedPrecision{TModule}"/>; bf16 only where the <see cref="Bf16Capability"/> probe finds it native, unless forced).
/// </summary>
/// <param name="scoringEngine">the inference engine over the network as it trains (borrowed, not owned): validation scores through
/// it and <see cref="BatchScorer"/>, the path every fitted model scores through</param>
/// <param name="entityDecoder">token classification: the decoder of the network as it stands (its CRF moves as it trains), for the validation F1</param>
/// <param name="bf16">whether the device computes bf16 natively (the machine's probe when null)</param>
/// <param name="validationMetric">the validation metric from the validation rows' raw outputs, in row order (higher is better);
/// null: the task's own (<see cref="TaskMetrics"/>). Question answering needs one: it is scored per question over its windows.</param>
public sealed class FineTuner(FineTuningOptions options, GauTask task, Func<TaskNetwork, IGauInferenceEngine> scoringEngine, Action<TrainingLogLevel, string>? log = null, IProgress<TrainingProgress>? progress = null,
    Func<TaskNetwork, Entities.EntityDecoder>? entityDecoder = null, Bf16Capability? bf16 = null, Func<IReadOnlyList<float[]>, double>? validationMetric = null)
{
    private readonly FineTuningOptions _options = options.Validate();
    private TrainingPrecision _precision;
    private MixedPrecision<TaskNetwork>? _mixedPrecision;
    private WeightAverage? _average;

    public string MetricName => TaskMetrics.NameOf(task);

    private void Detail(string message) => log?.Invoke(TrainingLogLevel.Detail, message);
    private void Notice(string message) => log?.Invoke(TrainingLogLevel.Notice, message);

    public FineTuningResult Train(TaskNetwork model, IReadOnlyList<LabeledExample> train, IReadOnlyList<LabeledExample>? validation,
        int padId, Device device, CancellationToken cancellationToken = default)
    {
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        model.to(device);
        TaskNetworks.FreezeBottom(model, _options.FrozenLayers);
        using var heap = LargeBlockHeap.KeepWhileTrainingOn(device); // large activations reused, not re-mapped
        using var optimizer = CreateOptimizer(model);
        _precision = (bf16 ?? Bf16Capability.Default).Resolve(_options.Precision, device, _options.ForcePrecision, Notice);
        using var mixedPrecision = _mixedPrecision = MixedPrecision.For(_precision, model);
        using var average = _average = _options.WeightAverageDecay is { } decay ? new WeightAverage(model, decay) : null;

        int batchesPerEpoch = (train.Count + _options.BatchSize - 1) / _options.BatchSize;
        long totalSteps = (long)batchesPerEpoch * _options.Epochs;
        var schedule = LearningRateSchedule.LinearDecay(totalSteps, (long)(_options.WarmupFraction * totalSteps));
        var lengths = train.Select(e => e.Text.Length).ToArray();
        var losses = new List<double>();
        var metrics = new List<double>();
        Dictionary<string, Tensor>? best = null;
        int? bestEpoch = null;
        double? bestMetric = null;
        int epochsWithoutImprovement = 0, epochsRun = 0;
        long step = 0, rowsSeen = 0;
        var clock = Stopwatch.StartNew();
        int firstEpoch = 1;
        bool stop = false;
        // Only runs that checkpoint need a fingerprint (it hashes the initial weights and the data).
        var fingerprint = _options.CheckpointDirectory is null ? null : Fingerprint(model, train, validation);
        if (_options.CheckpointDirectory is { } directory && (_options.Resume ? TrainingCheckpoint.Load(directory) : null) is { } checkpoint)
        {
            var state = checkpoint.State;
            if (state.Kind != Kind) throw new InvalidDataException($"{checkpoint.Source} is a {state.Kind} checkpoint, not a {Kind} one.");
            fingerprint!.RequireSame(state.Fingerprint, checkpoint.Source);
            checkpoint.RestoreWeights(model);
            mixedPrecision?.MastersReplaced();
            checkpoint.RestoreOptimizer(optimizer);
            if (average is not null) checkpoint.RestoreWeightAverage(average);
            (firstEpoch, step, bestEpoch, bestMetric, epochsWithoutImprovement, stop) =
                (state.EpochsCompleted + 1, state.Step, state.BestEpoch, state.BestMetric, state.EpochsWithoutImprovement, state.Stopped);
            losses.AddRange(state.Losses);
            metrics.AddRange(state.Metrics);
            best = checkpoint.BestWeights();
            epochsRun = state.EpochsCompleted;
            Notice($"resumed from {checkpoint.Source}: after epoch {state.EpochsCompleted} of {_options.Epochs} (step {state.Step})");
        }
        else if (_options.CheckpointDirectory is { } fresh) new CheckpointStore(fresh).RemoveLeftovers();

        try
        {
            for (int epoch = firstEpoch; epoch <= _options.Epochs && !stop; epoch++)
            {
                // Each epoch's shuffle and dropout come from (seed, epoch) alone, so a resumed run repeats an uninterrupted one.
                int epochSeed = unchecked(_options.Seed * 1_000_003 + epoch);
                torch.manual_seed(epochSeed);
                var random = new Random(epochSeed);
                model.train();
                using var epochStart = Snapshot(model);
                foreach (var indices in LengthBuckets.ForTraining(lengths, _options.BatchSize, random))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    double lr = _options.LearningRate * schedule.Multiplier(step);
                    optimizer.LearningRate = lr;
                    double loss = TrainStep(model, optimizer, indices.Select(i => train[i]).ToArray(), padId, device, epochStart, epoch, step);
                    step++;
                    heap.GiveBackIfMemoryIsShort(Detail);
                    rowsSeen += indices.Length;
                    losses.Add(loss);
                    double rowsPerSecond = rowsSeen / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                    progress?.Report(new TrainingProgress(epoch, _options.Epochs, step, totalSteps, loss, rowsPerSecond, clock.Elapsed));
                    if (step % Math.Max(1, batchesPerEpoch / 4) == 0 || step == totalSteps)
                        Detail($"epoch {epoch}/{_options.Epochs} step {step}/{totalSteps} loss {loss:F4} lr {lr:E2} {rowsPerSecond:F1} rows/s");
                }
                epochsRun = epoch;

                if (validation is { Count: > 0 })
                {
                    double metric;
                    Dictionary<string, Tensor>? better = null;
                    using (average?.SwapIn()) // with a weight average, validation scores and keeps the average
                    {
                        metric = Evaluate(model, validation, padId);
                        if (bestMetric is null || metric > bestMetric) better = Snapshot(model).Detach();
                    }
                    metrics.Add(metric);
                    Detail($"epoch {epoch}/{_options.Epochs} validation {MetricName} {metric:F4} over {validation.Count} rows{(average is null ? "" : " (weight average)")}");
                    progress?.Report(new TrainingProgress(epoch, _options.Epochs, step, totalSteps, losses[^1],
                        rowsSeen / Math.Max(1e-9, clock.Elapsed.TotalSeconds), clock.Elapsed, metric, MetricName));
                    if (better is not null)
                    {
                        DisposeAll(best);
                        best = better;
                        bestMetric = metric;
                        bestEpoch = epoch;
                        epochsWithoutImprovement = 0;
                    }
                    else if (_options.EarlyStoppingPatience is { } patience && ++epochsWithoutImprovement >= patience)
                    {
                        Notice($"early stopping after epoch {epoch}: no better validation {MetricName} for {patience} epoch(s)");
                        stop = true;
                    }
                }
                if (_options.CheckpointDirectory is { } checkpointDir)
                {
                    var state = new TrainingState
                    {
                        Kind = Kind,
                        EpochsCompleted = epoch,
                        Step = step,
                        BestEpoch = bestEpoch,
                        BestMetric = bestMetric,
                        EpochsWithoutImprovement = epochsWithoutImprovement,
                        Stopped = stop,
                        Losses = [.. losses],
                        Metrics = [.. metrics],
                        Fingerprint = fingerprint!.Entries,
                    };
                    TrainingCheckpoint.Commit(checkpointDir, $"epoch-{epoch:D4}", state, model, optimizer, best, average);
                    Detail($"checkpoint after epoch {epoch} saved to {checkpointDir}");
                }
            }
            // The model ends as the training weights of the last epoch unless the best epoch's (or the average) replaces them.
            if (best is not null && (bestEpoch != epochsRun || average is not null))
            {
                Restore(model, best);
                Notice($"kept the {(average is null ? "weights" : "weight average")} of epoch {bestEpoch} (validation {MetricName} {bestMetric:F4})");
            }
            else average?.Apply();
        }
        finally
        {
            DisposeAll(best);
            model.eval();
        }
        return new FineTuningResult(epochsRun, bestEpoch, bestMetric, losses, metrics, rowsSeen / Math.Max(1e-9, clock.Elapsed.TotalSeconds), _precision);
    }

    private const string Kind = TrainingCheckpoint.FineTuningKind;

    // Everything that changes the trajectory: a resume with any of it different would train a different model.
    private TrainingFingerprint Fingerprint(TaskNetwork model, IReadOnlyList<LabeledExample> train, IReadOnlyList<LabeledExample>? validation) =>
        WithPooling(new TrainingFingerprint(), model)
            .Add("task", task)
            .AddConfig(model.Config)
            .Add("initial_weights", TrainingFingerprint.Hash(SafeTensors.ToBytes(model.state_dict())))
            .Add("epochs", _options.Epochs).Add("batch_size", _options.BatchSize).Add("learning_rate", _options.LearningRate)
            .Add("warmup_fraction", _options.WarmupFraction).Add("weight_decay", _options.WeightDecay).Add("max_grad_norm", _options.MaxGradNorm)
            .Add("frozen_layers", _options.FrozenLayers).Add("seed", _options.Seed).Add("early_stopping_patience", _options.EarlyStoppingPatience)
            .Add("precision", _precision.ShortName()).Add("weight_average_decay", _options.WeightAverageDecay)
            .AddData("training_data", train).AddData("validation_data", validation)
            .AddAll(_options.FingerprintExtras);

    private static TrainingFingerprint WithPooling(TrainingFingerprint fingerprint, TaskNetwork model) =>
        model is GauAlphaForSequenceTask sequence ? fingerprint.Add("pooling", sequence.Head.Pooling) : fingerprint;

    /// <summary>Accuracy (classification) or Pearson r (regression) over every row.</summary>
    public double Evaluate(TaskNetwork model, IReadOnlyList<LabeledExample> rows, int padId)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var engine = scoringEngine(model);
            var outputs = BatchScorer.Run(rows.Select(r => r.Text).ToArray(), _options.BatchSize, padId, engine.Run, out _);
            return validationMetric?.Invoke(outputs) ?? TaskMetrics.Compute(task, outputs, rows, task == GauTask.TokenClassification ? entityDecoder?.Invoke(model) : null);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private double TrainStep(TaskNetwork model, AdamW optimizer, LabeledExample[] rows, int padId, Device device,
        StateSnapshot epochStart, int epoch, long step)
    {
        using var scope = NewDisposeScope();
        using var batch = TensorBatch.Collate(rows.Select(r => r.Text).ToArray(), padId, device);
        // bf16: forward and backward on the working copy, the loss in fp32 (the casts are no-ops in fp32).
        var network = _mixedPrecision?.Sync() ?? model;
        var output = network.call(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask).to(ScalarType.Float32);
        Tensor loss = task switch
        {
            GauTask.Classification => nn.functional.cross_entropy(output, tensor(rows.Select(r => (long)r.Label).ToArray(), ScalarType.Int64, device)),
            GauTask.Regression => nn.functional.mse_loss(output.squeeze(-1), tensor(rows.Select(r => r.Label).ToArray(), ScalarType.Float32, device)),
            GauTask.TokenClassification => TokenLoss((GauAlphaForTokenClassification)network, output, rows, (int)batch.InputIds.shape[1], device),
            GauTask.QuestionAnswering => AnswerLoss(output, rows, (int)batch.InputIds.shape[1], device),
            _ => throw new InvalidOperationException($"{task} is not trained."),
        };
        double value = loss.item<float>();
        if (!double.IsFinite(value)) Diverged(model, epochStart, $"the training loss became {value}", epoch, step);
        optimizer.ZeroGrad();
        loss.backward();
        _mixedPrecision?.AccumulateGradients(); // into the fp32 masters, which the norm, the clip and the step below use
        var trainable = model.parameters().Where(p => p.requires_grad).ToArray();
        double norm = _options.MaxGradNorm > 0
            ? nn.utils.clip_grad_norm_(trainable, _options.MaxGradNorm)
            : Math.Sqrt(trainable.Where(p => p.grad is not null).Sum(p => p.grad!.pow(HeldScalars.Two).sum().item<float>()));
        if (!double.IsFinite(norm)) Diverged(model, epochStart, $"the gradient norm became {norm}", epoch, step);
        optimizer.Step();
        _average?.Update();
        return value;
    }

    // Token targets as tensors: BIO tags at each token's position (after [CLS]), the token mask, and the gold spans.
    private static Tensor TokenLoss(GauAlphaForTokenClassification model, Tensor output, LabeledExample[] rows, int width, Device device)
    {
        var tags = new long[rows.Length * width];
        var mask = new bool[rows.Length * width];
        for (int b = 0; b < rows.Length; b++)
        {
            var targets = rows[b].Tokens ?? throw new InvalidOperationException("A token-classification row has no token targets.");
            for (int t = 0; t < targets.Tags.Length; t++)
            {
                tags[b * width + t + 1] = targets.Tags[t];
                mask[b * width + t + 1] = true;
            }
        }
        Tensor? spans = null;
        if (model.Head == Configuration.EntityHead.GlobalPointer)
        {
            long types = output.shape[1];
            var gold = new float[rows.Length * types * width * width];
            for (int b = 0; b < rows.Length; b++)
                foreach (var (first, last, type) in rows[b].Tokens!.Spans)
                    gold[((b * types + type) * width + first + 1) * width + last + 1] = 1;
            spans = tensor(gold, [rows.Length, types, width, width], ScalarType.Float32, device);
        }
        return model.Loss(output, tensor(tags, [rows.Length, width], ScalarType.Int64, device), tensor(mask, [rows.Length, width], device: device), spans);
    }

    // Answer targets as tensors: the gold start and end positions, and where each row's context tokens are.
    private static Tensor AnswerLoss(Tensor output, LabeledExample[] rows, int width, Device device)
    {
        var starts = new long[rows.Length];
        var ends = new long[rows.Length];
        var context = new bool[rows.Length * width];
        for (int b = 0; b < rows.Length; b++)
        {
            var target = rows[b].Answer ?? throw new InvalidOperationException("A question-answering row has no answer target.");
            var (start, end) = target.Span ?? throw new InvalidOperationException("A question-answering training row holds no whole answer; such windows are not trained on.");
            (starts[b], ends[b]) = (start, end);
            context.AsSpan(b * width + target.ContextPosition, target.ContextCount).Fill(true);
            context[b * width] = target.ClsMeansNoAnswer;
        }
        return GauAlphaForQuestionAnswering.Loss(output, tensor(starts, ScalarType.Int64, device), tensor(ends, ScalarType.Int64, device),
            tensor(context, [rows.Length, width], device: device));
    }

    // The weights in the model were used for this step's forward pass; keep them if they are finite,
    // else fall back to the epoch's starting weights. Then stop with a message that says what happened.
    private static void Diverged(TaskNetwork model, StateSnapshot epochStart, string what, int epoch, long step)
    {
        bool finite = model.parameters().All(p => p.isfinite().all().item<bool>());
        if (!finite) Restore(model, epochStart.Tensors);
        throw new GauTrainingDivergedException(
            $"Training stopped at epoch {epoch}, step {step + 1}: {what}. The model keeps the last good weights " +
            $"({(finite ? "those before this step" : "those at the start of the epoch")}). Lower the LearningRate or set a MaxGradNorm.",
            epoch, step + 1, what);
    }

    private AdamW CreateOptimizer(TaskNetwork model) => AdamW.ForTrainableParameters(model, _options.LearningRate, _options.WeightDecay);

    // In a scope: each copy's intermediates (detach, cpu) stay reachable until the copy is made; a collection could
    // otherwise free one mid-call (the temporary-Scalar race, with tensors).
    private static StateSnapshot Snapshot(nn.Module model)
    {
        using var scope = NewDisposeScope();
        return new(model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone().DetachFromDisposeScope()));
    }

    private static void Restore(nn.Module model, Dictionary<string, Tensor> state)
    {
        using var _ = no_grad();
        foreach (var (name, target) in model.state_dict()) target.copy_(state[name]);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? state)
    {
        if (state is null) return;
        foreach (var t in state.Values) t.Dispose();
    }

    /// <summary>A CPU copy of a model's weights, disposed unless detached.</summary>
    private sealed class StateSnapshot(Dictionary<string, Tensor> tensors) : IDisposable
    {
        public Dictionary<string, Tensor> Tensors { get; private set; } = tensors;

        public Dictionary<string, Tensor> Detach()
        {
            var t = Tensors;
            Tensors = [];
            return t;
        }

        public void Dispose() => DisposeAll(Tensors);
    }
}
