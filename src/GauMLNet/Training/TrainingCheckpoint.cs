using System.Text.Json;
using GauMLNet.Storage;
using GauMLNet.TorchSharp.Checkpoints;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Training;

/// <summary>Where a training run stands: counters, curves, best-so-far, and the fingerprint of what shaped it.</summary>
internal sealed record TrainingState
{
    /// <summary>fine-tuning or pretraining.</summary>
    public required string Kind { get; init; }
    /// <summary>Optimizer steps taken (the schedule position).</summary>
    public long Step { get; init; }
    /// <summary>Fine-tuning's data position: epochs completed.</summary>
    public int EpochsCompleted { get; init; }
    public int? BestEpoch { get; init; }
    public double? BestMetric { get; init; }
    public int EpochsWithoutImprovement { get; init; }
    /// <summary>Early stopping ended the run at this checkpoint: a resume has nothing left to train.</summary>
    public bool Stopped { get; init; }
    /// <summary>The loss of every step so far.</summary>
    public List<double> Losses { get; init; } = [];
    /// <summary>Fine-tuning: the validation metric of every epoch; pretraining: the masked-token accuracy of every step.</summary>
    public List<double> Metrics { get; init; } = [];
    public required IReadOnlyDictionary<string, string> Fingerprint { get; init; }
}

/// <summary>
/// The one training checkpoint of fine-tuning and pretraining: the weights, the optimizer's state, the random
/// state, the best-so-far weights and the <see cref="TrainingState"/>, committed as a unit through a
/// <see cref="CheckpointStore"/> (a reader sees the complete previous checkpoint or the complete new one).
/// </summary>
public sealed class TrainingCheckpoint
{
    private const string StateFile = "state.json";
    private const string WeightsFile = "weights.safetensors";
    private const string OptimizerFile = "optimizer.bin";
    /// <summary>FineTuner's <see cref="TrainingState.Kind"/>; its checkpoints once held TorchSharp's optimizer format.</summary>
    internal const string FineTuningKind = "fine-tuning";
    private const string BestFile = "best.safetensors";
    private const string AverageFile = "average.safetensors";
    private const string RandomStateFile = "rng.safetensors";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private TrainingCheckpoint(string source, TrainingState state, IReadOnlyDictionary<string, byte[]> files)
    {
        Source = source;
        State = state;
        _files = files;
    }

    private readonly IReadOnlyDictionary<string, byte[]> _files;

    /// <summary>The version directory it was read from, for messages.</summary>
    public string Source { get; }
    internal TrainingState State { get; }

    /// <summary>Puts the saved optimizer state back into <paramref name="optimizer"/>.</summary>
    public void RestoreOptimizer(ICheckpointedOptimizer optimizer)
    {
        string source = $"{Source}/{OptimizerFile}";
        Dictionary<string, Tensor> saved;
        try { saved = SafeTensors.Load(new MemoryStream(_files[OptimizerFile], writable: false), source, out _); }
        catch (InvalidDataException ex) when (State.Kind == FineTuningKind)
        {
            throw new InvalidDataException($"{ex.Message} (If GauMLNet wrote it before its own AdamW, 2026-12-01, it holds TorchSharp's optimizer format, which this version does not read: start the run afresh.)", ex);
        }
        try { optimizer.LoadStateDict(saved, source); }
        finally { foreach (var t in saved.Values) t.Dispose(); }
    }

    /// <summary>Commits a checkpoint named <paramref name="version"/> (e.g. epoch-0002) into <paramref name="directory"/>.</summary>
    internal static void Commit(string directory, string version, TrainingState state, nn.Module model, ICheckpointedOptimizer optimizer,
        IReadOnlyDictionary<string, Tensor>? best, WeightAverage? average = null)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [StateFile] = JsonSerializer.SerializeToUtf8Bytes(state, Json),
            [WeightsFile] = SafeTensors.ToBytes(model.state_dict()),
        };
        using (NewDisposeScope()) files[OptimizerFile] = SafeTensors.ToBytes(optimizer.StateDict()); // frees what StateDict made
        using (var random = get_rng_state()) files[RandomStateFile] = SafeTensors.ToBytes([KeyValuePair.Create("torch", random)]);
        if (best is not null) files[BestFile] = SafeTensors.ToBytes(best);
        if (average is not null) using (NewDisposeScope()) files[AverageFile] = SafeTensors.ToBytes(average.StateDict());
        new CheckpointStore(directory).Commit(version, files);
    }

    /// <summary>The latest committed checkpoint (every member checked against its manifest), or null when there is none.</summary>
    public static TrainingCheckpoint? Load(string directory)
    {
        var store = new CheckpointStore(directory);
        if (store.Latest is null)
        {
            if (File.Exists(Path.Combine(directory, "trainer-state.json")) || File.Exists(Path.Combine(directory, "pretrain-state.json")))
                throw new InvalidDataException($"{directory} holds a checkpoint in the format of GauMLNet before 2026-11 (no LATEST); it cannot be resumed. Start afresh.");
            return null;
        }
        var (name, files) = store.ReadLatest()!.Value;
        string source = Path.Combine(directory, name);
        foreach (string required in new[] { StateFile, WeightsFile, OptimizerFile, RandomStateFile })
            if (!files.ContainsKey(required)) throw new IntegrityException(source, required, "is missing from the checkpoint");
        TrainingState state;
        try { state = JsonSerializer.Deserialize<TrainingState>(files[StateFile], Json) ?? throw new JsonException("empty"); }
        catch (JsonException ex) { throw new InvalidDataException($"{source}/{StateFile}: not a valid training state ({ex.Message}).", ex); }
        return new TrainingCheckpoint(source, TrainingStateCheck.Require(state, $"{source}/{StateFile}"), files);
    }

    /// <summary>Whether a directory holds a committed training checkpoint.</summary>
    public static bool Exists(string directory) => new CheckpointStore(directory).Latest is not null;

    /// <summary>Copies the saved weights into <paramref name="model"/> (every name and shape checked).</summary>
    public void RestoreWeights(nn.Module model)
    {
        using var stream = new MemoryStream(_files[WeightsFile], writable: false);
        StateDictLoader.LoadStream(model, stream, $"{Source}/{WeightsFile}");
    }

    /// <summary>Puts the saved weight average back into <paramref name="average"/>.</summary>
    public void RestoreWeightAverage(WeightAverage average)
    {
        if (!_files.ContainsKey(AverageFile)) throw new IntegrityException(Source, AverageFile, "is missing from the checkpoint, which this run's weight average needs");
        WithMember(AverageFile, average.LoadStateDict);
    }

    // Reads one safetensors member, hands it over with its name for errors, and frees its tensors afterwards.
    private void WithMember(string file, Action<Dictionary<string, Tensor>, string> use)
    {
        string source = $"{Source}/{file}";
        var saved = SafeTensors.Load(new MemoryStream(_files[file], writable: false), source, out _);
        try { use(saved, source); }
        finally { foreach (var t in saved.Values) t.Dispose(); }
    }

    /// <summary>The best-so-far weights (CPU tensors the caller disposes), or null when none were saved.</summary>
    public Dictionary<string, Tensor>? BestWeights() =>
        _files.TryGetValue(BestFile, out var bytes) ? SafeTensors.Load(new MemoryStream(bytes, writable: false), $"{Source}/{BestFile}", out _) : null;

    /// <summary>Puts libtorch's CPU generator back where it was when the checkpoint was taken.</summary>
    public void RestoreRandomState()
    {
        WithMember(RandomStateFile, (saved, _) => set_rng_state(saved["torch"]));
    }
}
