using System.Diagnostics;
using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.Text;
using GauMLNet.TorchSharp.Batches;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using GauMLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Training.Pretraining;

/// <summary>
/// Masked-LM pretraining of a GAU-α encoder with LAMB and a piecewise-linear schedule. Randomness is
/// derived from (seed, epoch, sequence) — data order per epoch and fresh masks per epoch — and the
/// dropout RNG is saved, so a run resumed from a checkpoint repeats the uninterrupted run step for step. fp32 or bf16
/// mixed precision (<see cref="MixedPrecision{TModule}"/>; bf16 only where the <see cref="Bf16Capability"/> probe finds it native, unless forced).
/// </summary>
public sealed class MaskedLanguageModelPretrainer(PretrainingOptions options, IWordSegmenter? segmenter = null,
    Action<string>? log = null, IProgress<PretrainingProgress>? progress = null, Bf16Capability? bf16 = null)
{
    private readonly PretrainingOptions _options = options.Validate();

    private const string Kind = "pretraining";

    public PretrainingResult Run(GauAlphaForMaskedLM model, GauTokenizer tokenizer, IReadOnlyList<int[]> sequences, Device device,
        CancellationToken cancellationToken = default)
    {
        if (sequences.Count == 0) throw new ArgumentException("The corpus packed into no sequences.", nameof(sequences));
        if (tokenizer.VocabSize != model.Config.VocabSize)
            throw new ArgumentException($"The vocabulary has {tokenizer.VocabSize} entries but the model's vocab_size is {model.Config.VocabSize}.");
        model.to(device).train();
        using var heap = LargeBlockHeap.KeepWhileTrainingOn(device); // large activations reused, not re-mapped
        var masker = new MaskedLanguageModelMasker(tokenizer, segmenter, _options.MaskRate, _options.MaxSpanLength);
        var schedule = LearningRateSchedule.PiecewiseLinear(_options.Schedule ?? LearningRateSchedule.GauAlphaPretrainingPoints);
        using var lamb = new Lamb(model.named_parameters(), _options.LearningRate, weightDecay: _options.WeightDecay);
        var precision = ResolvePrecision(device);
        using var mixedPrecision = MixedPrecision.For(precision, model);
        using Scalar accumulation = _options.GradientAccumulation; // held for the run (see HeldScalars)
        var fingerprint = _options.CheckpointDirectory is null ? null : Fingerprint(model, sequences, precision);
        var state = new TrainingState { Kind = Kind, Fingerprint = fingerprint?.Entries ?? new Dictionary<string, string>() };
        torch.manual_seed(_options.Seed);
        if (_options.CheckpointDirectory is { } directory && (_options.Resume ? TrainingCheckpoint.Load(directory) : null) is { } checkpoint)
        {
            RequireSame(fingerprint!, checkpoint);
            checkpoint.RestoreWeights(model);
            mixedPrecision?.MastersReplaced();
            checkpoint.RestoreOptimizer(lamb);
            checkpoint.RestoreRandomState();
            state = checkpoint.State;
            log?.Invoke($"resumed from {checkpoint.Source}: step {state.Step} of {_options.Steps}");
        }
        else if (_options.CheckpointDirectory is { } fresh) new CheckpointStore(fresh).RemoveLeftovers();

        int microBatchesPerEpoch = (sequences.Count + _options.BatchSize - 1) / _options.BatchSize;
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        int cachedEpoch = -1;
        int[] order = [];
        while (state.Step < _options.Steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_options.TimeLimit is { } limit && clock.Elapsed >= limit)
            {
                log?.Invoke($"time limit {limit} reached at step {state.Step}");
                break;
            }
            using var scope = NewDisposeScope();
            lamb.LearningRate = _options.LearningRate * schedule.Multiplier(state.Step);
            lamb.ZeroGrad();
            var network = mixedPrecision?.Sync() ?? model; // bf16: the working copy, its weights the masters' as of now
            double loss = 0, correct = 0, predicted = 0;
            for (int micro = 0; micro < _options.GradientAccumulation; micro++)
            {
                long index = state.Step * _options.GradientAccumulation + micro;
                int epoch = (int)(index / microBatchesPerEpoch);
                if (epoch != cachedEpoch)
                {
                    order = Enumerable.Range(0, sequences.Count).ToArray();
                    new Random(DerivedSeed(epoch, -1)).Shuffle(order);
                    cachedEpoch = epoch;
                }
                int start = (int)(index % microBatchesPerEpoch) * _options.BatchSize;
                var rows = order.Skip(start).Take(_options.BatchSize)
                    .Select(i => masker.Mask(sequences[i], new Random(DerivedSeed(epoch, i)))) // masks drawn afresh each epoch
                    .ToArray();
                var (microLoss, microCorrect, microPredicted, microTokens) = Forward(network, rows, tokenizer.PadId, device);
                microLoss.div(accumulation).backward();
                mixedPrecision?.AccumulateGradients(); // summed over micro-batches in the fp32 masters' gradients
                loss += microLoss.item<float>() / _options.GradientAccumulation;
                correct += microCorrect;
                predicted += microPredicted;
                tokens += microTokens;
            }
            if (!double.IsFinite(loss))
                throw new GauTrainingDivergedException($"Pretraining stopped at step {state.Step + 1}: the loss became {loss}. The last checkpoint holds the last good weights.",
                    0, state.Step + 1, $"the loss became {loss}");
            if (_options.MaxGradNorm > 0) nn.utils.clip_grad_norm_(lamb.Parameters, _options.MaxGradNorm);
            lamb.Step();
            heap.GiveBackIfMemoryIsShort(log);
            state = state with { Step = state.Step + 1 };
            state.Losses.Add(loss);
            state.Metrics.Add(predicted == 0 ? 0 : correct / predicted);
            double tokensPerSecond = tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            progress?.Report(new PretrainingProgress(state.Step, _options.Steps, loss, state.Metrics[^1], tokensPerSecond, clock.Elapsed));
            if (_options.CheckpointDirectory is { } dir && _options.CheckpointEvery > 0 && state.Step % _options.CheckpointEvery == 0)
                SaveCheckpoint(dir, model, lamb, state);
        }
        if (_options.CheckpointDirectory is { } finalDir && new CheckpointStore(finalDir).Latest != Version(state.Step)) SaveCheckpoint(finalDir, model, lamb, state);
        model.eval();
        return new PretrainingResult(state.Step, state.Losses, state.Metrics, tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds), precision);
    }

    /// <summary>
    /// Throws unless the checkpoint in <see cref="PretrainingOptions.CheckpointDirectory"/> was trained from this model's
    /// initial weights on these sequences with these options, naming what differs: the check a resume makes, for a
    /// caller that reuses a finished pretraining instead of resuming it.
    /// </summary>
    /// <returns>the steps the checkpoint has run</returns>
    internal long RequireCheckpointMatches(GauAlphaForMaskedLM model, IReadOnlyList<int[]> sequences, Device device)
    {
        string directory = _options.CheckpointDirectory ?? throw new InvalidOperationException("There is no CheckpointDirectory to compare with.");
        var checkpoint = TrainingCheckpoint.Load(directory) ?? throw new InvalidDataException($"{directory} holds no {Kind} checkpoint.");
        RequireSame(Fingerprint(model, sequences, ResolvePrecision(device)), checkpoint);
        return checkpoint.State.Step;
    }

    private static void RequireSame(TrainingFingerprint fingerprint, TrainingCheckpoint checkpoint)
    {
        if (checkpoint.State.Kind != Kind) throw new InvalidDataException($"{checkpoint.Source} is a {checkpoint.State.Kind} checkpoint, not a {Kind} one.");
        fingerprint.RequireSame(checkpoint.State.Fingerprint, checkpoint.Source);
    }

    private TrainingPrecision ResolvePrecision(Device device) => (bf16 ?? Bf16Capability.Default).Resolve(_options.Precision, device, _options.ForcePrecision, log);

    private int DerivedSeed(int epoch, int sequence) => unchecked((_options.Seed * 1_000_003 + epoch) * 1_000_033 + sequence);

    private static (Tensor Loss, double Correct, double Predicted, long Tokens) Forward(GauAlphaForMaskedLM model, MaskedSequence[] rows, int padId, Device device)
    {
        // Pretraining uses one segment; the labels are padded alongside the inputs.
        using var batch = TensorBatch.Collate(rows.Select(r => new EncodedText(r.InputIds, new int[r.InputIds.Length], false)).ToArray(), padId, device);
        long width = batch.InputIds.shape[1];
        var labels = new long[rows.Length * width];
        Array.Fill(labels, MaskedLanguageModelMasker.IgnoreIndex);
        for (int b = 0; b < rows.Length; b++) rows[b].Labels.CopyTo(labels, b * width);
        var target = tensor(labels, ScalarType.Int64, device);
        var hidden = model.call(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
        // Only masked positions go through the vocabulary projection: the cheap way to compute MLM logits.
        var selected = target.ne(HeldScalars.IgnoredTag).nonzero().squeeze(-1);
        var logits = model.MlmLogits(hidden.reshape(-1, hidden.shape[^1]).index_select(0, selected)).to(ScalarType.Float32); // the loss in fp32
        var goldens = target.index_select(0, selected);
        var loss = nn.functional.cross_entropy(logits, goldens);
        double correct = logits.argmax(-1).eq(goldens).sum().item<long>();
        return (loss, correct, goldens.shape[0], rows.Sum(r => (long)r.InputIds.Length));
    }

    private static string Version(long step) => $"step-{step:D8}";

    private static void SaveCheckpoint(string directory, GauAlphaForMaskedLM model, Lamb lamb, TrainingState state) =>
        TrainingCheckpoint.Commit(directory, Version(state.Step), state, model, lamb, best: null);

    // Everything that changes the trajectory: a resume with any of it different would train a different model.
    private TrainingFingerprint Fingerprint(GauAlphaForMaskedLM model, IReadOnlyList<int[]> sequences, TrainingPrecision precision)
    {
        using var corpus = new MemoryStream();
        foreach (var sequence in sequences)
        {
            foreach (int id in sequence) corpus.Write(BitConverter.GetBytes(id));
            corpus.Write(BitConverter.GetBytes(-1));
        }
        return new TrainingFingerprint()
            .Add("task", "masked-lm")
            .AddConfig(model.Config)
            .Add("initial_weights", TrainingFingerprint.Hash(SafeTensors.ToBytes(model.state_dict())))
            .Add("corpus", $"{sequences.Count} sequences, {TrainingFingerprint.Hash(corpus.ToArray())}")
            .Add("steps", _options.Steps).Add("batch_size", _options.BatchSize).Add("gradient_accumulation", _options.GradientAccumulation)
            .Add("learning_rate", _options.LearningRate)
            .Add("schedule", string.Join(",", (_options.Schedule ?? LearningRateSchedule.GauAlphaPretrainingPoints).OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}:{kv.Value:R}")))
            .Add("weight_decay", _options.WeightDecay).Add("max_grad_norm", _options.MaxGradNorm).Add("mask_rate", _options.MaskRate)
            .Add("max_span_length", _options.MaxSpanLength).Add("seed", _options.Seed).Add("precision", precision.ShortName());
    }
}
