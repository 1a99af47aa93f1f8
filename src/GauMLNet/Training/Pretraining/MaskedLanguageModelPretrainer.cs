using System.Diagnostics;
using System.Text.Json;
using GauMLNet.Checkpoints;
using GauMLNet.Engine;
using GauMLNet.Modeling;
using GauMLNet.Storage;
using GauMLNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace GauMLNet.Training.Pretraining;

/// <summary>
/// Masked-LM pretraining of a GAU-α encoder with LAMB and a piecewise-linear schedule. Randomness is
/// derived from (seed, epoch, sequence) — data order per epoch and fresh masks per epoch — and the
/// dropout RNG is saved, so a run resumed from a checkpoint repeats the uninterrupted run step for step.
/// </summary>
public sealed class MaskedLanguageModelPretrainer(PretrainingOptions options, IWordSegmenter? segmenter = null,
    Action<string>? log = null, IProgress<PretrainingProgress>? progress = null)
{
    private readonly PretrainingOptions _options = options.Validate();

    private sealed record State(long Step, List<double> Losses, List<double> Accuracies);

    private const string StateFile = "pretrain-state.json";
    private const string WeightsFile = "weights.safetensors";
    private const string OptimizerFile = "lamb.safetensors";
    private const string RngFile = "rng.safetensors";

    public PretrainingResult Run(GauAlphaForMaskedLM model, GauTokenizer tokenizer, IReadOnlyList<int[]> sequences, Device device,
        CancellationToken cancellationToken = default)
    {
        if (sequences.Count == 0) throw new ArgumentException("The corpus packed into no sequences.", nameof(sequences));
        if (tokenizer.VocabSize != model.Config.VocabSize)
            throw new ArgumentException($"The vocabulary has {tokenizer.VocabSize} entries but the model's vocab_size is {model.Config.VocabSize}.");
        model.to(device).train();
        var masker = new MaskedLanguageModelMasker(tokenizer, segmenter, _options.MaskRate);
        var schedule = LearningRateSchedule.PiecewiseLinear(_options.Schedule ?? LearningRateSchedule.GauAlphaPretrainingPoints);
        using var lamb = new Lamb(model.named_parameters(), _options.LearningRate, weightDecay: _options.WeightDecay);
        var state = new State(0, [], []);
        torch.manual_seed(_options.Seed);
        if (_options.Resume && File.Exists(Path.Combine(_options.CheckpointDirectory!, StateFile)))
        {
            state = LoadCheckpoint(_options.CheckpointDirectory!, model, lamb);
            log?.Invoke($"resumed from {_options.CheckpointDirectory} at step {state.Step}");
        }

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
                var (microLoss, microCorrect, microPredicted, microTokens) = Forward(model, rows, tokenizer.PadId, device);
                (microLoss / _options.GradientAccumulation).backward();
                loss += microLoss.item<float>() / _options.GradientAccumulation;
                correct += microCorrect;
                predicted += microPredicted;
                tokens += microTokens;
            }
            if (!double.IsFinite(loss)) throw new TrainingDivergedException($"Pretraining stopped at step {state.Step + 1}: the loss became {loss}.", 0, state.Step + 1);
            if (_options.MaxGradNorm > 0) nn.utils.clip_grad_norm_(lamb.Parameters, _options.MaxGradNorm);
            lamb.Step();
            state = state with { Step = state.Step + 1 };
            state.Losses.Add(loss);
            state.Accuracies.Add(predicted == 0 ? 0 : correct / predicted);
            double tokensPerSecond = tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            progress?.Report(new PretrainingProgress(state.Step, _options.Steps, loss, state.Accuracies[^1], tokensPerSecond, clock.Elapsed));
            if (_options.CheckpointDirectory is { } dir && _options.CheckpointEvery > 0 && state.Step % _options.CheckpointEvery == 0)
                SaveCheckpoint(dir, model, lamb, state);
        }
        if (_options.CheckpointDirectory is { } finalDir) SaveCheckpoint(finalDir, model, lamb, state);
        model.eval();
        return new PretrainingResult(state.Step, state.Losses, state.Accuracies, tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
    }

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
        var selected = target.ne(MaskedLanguageModelMasker.IgnoreIndex).nonzero().squeeze(-1);
        var logits = model.MlmLogits(hidden.reshape(-1, hidden.shape[^1]).index_select(0, selected));
        var goldens = target.index_select(0, selected);
        var loss = nn.functional.cross_entropy(logits, goldens);
        double correct = logits.argmax(-1).eq(goldens).sum().item<long>();
        return (loss, correct, goldens.shape[0], rows.Sum(r => (long)r.InputIds.Length));
    }

    private static void SaveCheckpoint(string directory, GauAlphaForMaskedLM model, Lamb lamb, State state)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, WeightsFile), model.state_dict());
        SafeTensors.Save(Path.Combine(directory, OptimizerFile), lamb.StateDict());
        using (var rng = torch.get_rng_state()) SafeTensors.Save(Path.Combine(directory, RngFile), new Dictionary<string, Tensor> { ["torch"] = rng });
        AtomicFile.WriteAllText(Path.Combine(directory, StateFile), JsonSerializer.Serialize(state)); // last: the commit point
    }

    private static State LoadCheckpoint(string directory, GauAlphaForMaskedLM model, Lamb lamb)
    {
        var state = JsonSerializer.Deserialize<State>(File.ReadAllText(Path.Combine(directory, StateFile)))
            ?? throw new InvalidDataException($"{directory}/{StateFile} is empty.");
        StateDictLoader.LoadFile(model, Path.Combine(directory, WeightsFile));
        var moments = SafeTensors.Load(Path.Combine(directory, OptimizerFile));
        try { lamb.LoadStateDict(moments); }
        finally { foreach (var t in moments.Values) t.Dispose(); }
        var rng = SafeTensors.Load(Path.Combine(directory, RngFile));
        torch.set_rng_state(rng["torch"]);
        rng["torch"].Dispose();
        return state;
    }
}
