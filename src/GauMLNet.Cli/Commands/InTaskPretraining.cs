using GauMLNet.Cli.Failures;
using GauMLNet.Cli.Terminal;
using GauMLNet.Configuration;
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

    public static string Run(IReadOnlyList<string> texts, GauAlphaConfig config, TrainingRun.Settings s, TrainingRun.Checked c, long steps, int maxLength,
        ConsoleProgressBar bar, StopSignals stop, TextWriter output)
    {
        string directory = Path.Combine(s.OutputDirectory, Folder);
        string state = Path.Combine(directory, "pretrain-checkpoint");
        if (s.Resume && File.Exists(Path.Combine(directory, PretrainCommand.MetricsFile)))
        {
            output.WriteLine($"in-task pretraining: done before; fine-tuning from {directory}");
            return directory;
        }
        if (s.Threads > 0) torch.set_num_threads(s.Threads); // --threads holds for pretraining as for fine-tuning
        var source = GauModelSource.FromScratch(config, vocabPath: null, texts);
        using var network = TaskNetworks.CreateMaskedLM(source.Config, s.Seed);
        var sequences = PretrainingCorpus.Pack(texts, source.Tokenizer, maxLength);
        output.WriteLine($"in-task pretraining: {texts.Count} training texts packed into {sequences.Count} sequences of up to {maxLength} tokens, {steps} masked-LM steps");
        var options = new PretrainingOptions
        {
            Steps = steps,
            Seed = s.Seed,
            CheckpointDirectory = state,
            Resume = s.Resume && TrainingCheckpoint.Exists(state),
            Precision = c.TrainingPrecision,
            ForcePrecision = s.ForcePrecision,
        };
        PretrainingResult result;
        try
        {
            result = new MaskedLanguageModelPretrainer(options, log: bar.Line, progress: bar).Run(network, source.Tokenizer, sequences, ComputeDevice.Resolve(s.Device), stop.Token);
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
        return directory;
    }
}
