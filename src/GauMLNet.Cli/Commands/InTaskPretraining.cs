using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Cli.Terminal;
using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using GauMLNet.TorchSharp.Training;
using GauMLNet.TorchSharp.Training.Pretraining;
using GauMLNet.Training;
using TorchSharp;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau train --pretrain-steps: masked-LM pretraining on the task's own training texts before fine-tuning on them, for a
/// model trained from scratch (a model that has read nothing else). The checkpoint goes to OUTPUT/pretrained; a
/// --resume finds it there (complete, or part-way through its own checkpoint).
/// </summary>
internal static class InTaskPretraining
{
    public const string Folder = "pretrained";

    private static string PretrainedDirectory(string output) => Path.Combine(output, Folder);

    private static string State(string output) => Path.Combine(PretrainedDirectory(output), "pretrain-checkpoint");

    /// <summary>Pretraining finished (its metrics file is written last).</summary>
    public static bool Finished(string output) => File.Exists(Path.Combine(PretrainedDirectory(output), PretrainCommand.MetricsFile));

    /// <summary>Pretraining committed a checkpoint a --resume can continue from.</summary>
    public static bool Started(string output) => TrainingCheckpoint.Exists(State(output));

    /// <param name="resume">reuse a finished pretraining once its checkpoint matches this run's texts and settings, or
    /// continue an unfinished one from its checkpoint</param>
    /// <returns>the pretrained model's directory, and whether it was reused as an earlier command finished it (otherwise
    /// this command trained or finished it, and fine-tuning starts afresh)</returns>
    public static (string Directory, bool Reused) Run(IReadOnlyList<string> texts, GauAlphaConfig config, TrainingRun.Settings s, TrainingRun.Checked c, long steps, int maxLength,
        double learningRate, int maxSpanLength, bool resume, ConsoleProgressBar bar, StopSignals stop, TextWriter output)
    {
        string directory = PretrainedDirectory(s.OutputDirectory);
        if (s.Threads > 0) torch.set_num_threads(s.Threads); // --threads holds for pretraining as for fine-tuning
        var source = GauModelSource.FromScratch(config, vocabPath: null, texts);
        using var network = TaskNetworks.CreateMaskedLM(source.Config, s.Seed);
        var sequences = PretrainingCorpus.Pack(texts, source.Tokenizer, maxLength);
        var options = new PretrainingOptions
        {
            Steps = steps,
            LearningRate = learningRate,
            MaxSpanLength = maxSpanLength,
            Seed = s.Seed,
            CheckpointDirectory = State(s.OutputDirectory),
            Resume = resume && Started(s.OutputDirectory),
            Precision = c.TrainingPrecision,
            ForcePrecision = s.ForcePrecision,
        };
        var pretrainer = new MaskedLanguageModelPretrainer(options, log: bar.Line, progress: bar);
        var device = ComputeDevice.Resolve(s.Device);
        if (resume && Finished(s.OutputDirectory))
        {
            RequireFinishedWeights(directory, output);
            if (!Started(s.OutputDirectory))
            {
                output.WriteLine($"in-task pretraining: done before; its checkpoint ({options.CheckpointDirectory}) is gone, so its texts and settings cannot be checked against this command; fine-tuning from {directory}");
                return (directory, true);
            }
            if (pretrainer.RequireCheckpointMatches(network, sequences, device) >= steps)
            {
                output.WriteLine($"in-task pretraining: done before with this command's texts and settings; fine-tuning from {directory}");
                return (directory, true);
            }
        }
        string finishedMark = Path.Combine(directory, PretrainCommand.MetricsFile);
        if (!resume && File.Exists(finishedMark)) File.Delete(finishedMark); // an earlier pretraining's: only this one may say it finished
        output.WriteLine($"in-task pretraining: {texts.Count} training texts packed into {sequences.Count} sequences of up to {maxLength} tokens, {steps} masked-LM steps at learning rate {learningRate:G3}" +
                         (maxSpanLength > 1 ? $", masking spans of up to {maxSpanLength} characters" : ""));
        PretrainingResult result;
        try
        {
            result = pretrainer.Run(network, source.Tokenizer, sequences, device, stop.Token);
        }
        catch (GauTrainingDivergedException ex)
        {
            bar.EndLine();
            throw new CliFailure(ExitCodes.Diverged, $"error: in-task pretraining diverged at step {ex.Step}: {ex.Reason}. Rerun with fewer --pretrain-steps or none.");
        }
        finally
        {
            bar.EndLine();
        }
        PretrainCommand.Save(directory, network, source.VocabText, result, output);
        return (directory, false);
    }

    /// <summary>The weights in the folder are those the finished pretraining wrote (its metrics file names their hash).</summary>
    private static void RequireFinishedWeights(string directory, TextWriter output)
    {
        string mark = Path.Combine(directory, PretrainCommand.MetricsFile), weights = CheckpointFiles.WeightsPath(directory);
        string? expected;
        try
        {
            using var metrics = JsonDocument.Parse(File.ReadAllText(mark));
            expected = metrics.RootElement.ValueKind == JsonValueKind.Object && metrics.RootElement.TryGetProperty(PretrainCommand.WeightsHashKey, out var hash) ? hash.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new CliFailure(ExitCodes.DataError, $"error: {mark} cannot be read as pretraining's metrics ({ex.Message}); rerun without --resume to pretrain again.");
        }
        if (expected is null)
        {
            output.WriteLine($"in-task pretraining: {mark} names no weights hash (written by an older gau), so {weights} cannot be checked against it");
            return;
        }
        string actual = File.Exists(weights) ? PretrainCommand.WeightsHash(directory)
            : throw new CliFailure(ExitCodes.DataError, $"error: {weights} is missing, though {mark} says pretraining finished; rerun without --resume to pretrain again.");
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new CliFailure(ExitCodes.DataError, $"error: {weights} is not the file in-task pretraining finished with (sha256 {actual[..12]}…, where {mark} says {(expected.Length >= 12 ? expected[..12] : expected)}…); rerun without --resume to pretrain again.");
    }
}
