using System.Text.Json;
using GauMLNet.Checkpoints;
using GauMLNet.Storage;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GauMLNet.Training;

/// <summary>
/// Where a fine-tuning run stands after an epoch, saved so an interrupted run can resume: the weights,
/// the optimizer's moments, the best epoch's weights, and the counters and curves. Every file is written
/// atomically and the state file last, so a checkpoint directory is either the previous epoch's or the new one's.
/// </summary>
public sealed record TrainingCheckpoint
{
    public const string StateFile = "trainer-state.json";
    private const string WeightsFile = "weights.safetensors";
    private const string BestFile = "best.safetensors";
    private const string OptimizerFile = "optimizer.bin";

    public int EpochsCompleted { get; init; }
    public long Step { get; init; }
    public int? BestEpoch { get; init; }
    public double? BestMetric { get; init; }
    public int EpochsWithoutImprovement { get; init; }
    public List<double> Losses { get; init; } = [];
    public List<double> Metrics { get; init; } = [];

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, StateFile));

    public void Save(string directory, nn.Module model, OptimizerHelper optimizer, IReadOnlyDictionary<string, Tensor>? best)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, WeightsFile), model.state_dict());
        if (best is not null) SafeTensors.Save(Path.Combine(directory, BestFile), best);
        AtomicFile.Write(Path.Combine(directory, OptimizerFile), s =>
        {
            using var writer = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
            optimizer.save_state_dict(writer);
        });
        AtomicFile.WriteAllText(Path.Combine(directory, StateFile), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Restores model and optimizer; returns the state and the best weights (CPU) if any.</summary>
    public static (TrainingCheckpoint State, Dictionary<string, Tensor>? Best) Load(string directory, nn.Module model, OptimizerHelper optimizer)
    {
        string statePath = Path.Combine(directory, StateFile);
        var state = JsonSerializer.Deserialize<TrainingCheckpoint>(File.ReadAllText(statePath))
            ?? throw new InvalidDataException($"{statePath} is empty.");
        StateDictLoader.LoadFile(model, Path.Combine(directory, WeightsFile));
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(directory, OptimizerFile))))
            optimizer.load_state_dict(reader);
        string bestPath = Path.Combine(directory, BestFile);
        var best = state.BestEpoch is not null && File.Exists(bestPath) ? SafeTensors.Load(bestPath) : null;
        return (state, best);
    }
}
