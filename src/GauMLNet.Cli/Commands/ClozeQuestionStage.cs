using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.MLNet;
using GauMLNet.QuestionAnswering;
using GauMLNet.Storage;
using GauMLNet.Text;
using GauMLNet.TorchSharp;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau train --task cmrc2018 --cloze-questions N: before the real questions, the model answers cloze questions made from
/// the training contexts (<see cref="ClozeQuestions"/>, N per context) for --cloze-epochs, and the real fine-tuning
/// starts from that model (OUTPUT/cloze). The stage keeps no checkpoint of its own: a --resume reuses it once it
/// finished with the same settings, starting weights and training file (a changed one is refused, naming it), and runs
/// it again when it had not finished.
/// </summary>
internal static class ClozeQuestionStage
{
    public const string Folder = "cloze";
    private const string DoneFile = "cloze.json";
    private const string WeightsHashKey = "weights_sha256";
    private const string TrainingVocabulary = "training-vocab.txt";

    public sealed record Settings(int PerContext, int Epochs);

    private static string DoneMark(string output) => Path.Combine(output, Folder, DoneFile);

    /// <summary>The stage finished (its done file is written last).</summary>
    public static bool Finished(string output) => File.Exists(DoneMark(output));

    /// <param name="options">the real fine-tuning's options (the stage trains as they say, without validation or checkpoints)</param>
    /// <param name="resume">reuse a finished stage whose settings and starting weights are this run's</param>
    /// <returns>the stage's model directory, and whether an earlier command had finished it</returns>
    public static (string Directory, bool Reused) Run(MLContext ml, IReadOnlyList<QuestionAnsweringExample> trainQuestions, Settings stage,
        GauQuestionAnsweringOptions options, Func<IReadOnlyList<QuestionAnsweringExample>, IDataView> load, string outputDirectory, bool resume, TextWriter output)
    {
        string directory = Path.Combine(outputDirectory, Folder), mark = DoneMark(outputDirectory);
        var settings = Describe(stage, options);
        if (resume && Finished(outputDirectory))
        {
            RequireDoneMatches(mark, settings, directory);
            output.WriteLine($"cloze questions: done before with this command's settings; fine-tuning from {directory}");
            return (directory, true);
        }
        if (resume) output.WriteLine($"cloze questions: the stage did not finish before (it keeps no checkpoint); running it again");
        if (File.Exists(mark)) File.Delete(mark); // an earlier stage's: only this one may say it finished
        var questions = ClozeQuestions.From(trainQuestions.Select(q => q.Context), stage.PerContext, options.Seed);
        output.WriteLine($"cloze questions: {questions.Count} made from {trainQuestions.Select(q => q.Context).Distinct(StringComparer.Ordinal).Count()} training contexts " +
                         $"(up to {stage.PerContext} each), trained for {stage.Epochs} epoch{(stage.Epochs == 1 ? "" : "s")} before the real questions");
        string? vocabulary = options.ModelDirectory is null && options.VocabPath is null ? Path.Combine(directory, TrainingVocabulary) : null;
        if (vocabulary is not null) // from scratch, the vocabulary is the real questions' (as it would be without the stage), not the cloze questions'
        {
            Directory.CreateDirectory(directory);
            var tokens = VocabularyBuilder.Build(trainQuestions.SelectMany(q => new[] { q.Question, q.Context }), options.MaxVocabSize, options.MinTokenFrequency);
            AtomicFile.Write(vocabulary, s => s.Write(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", tokens) + "\n")));
        }
        var stageOptions = options with
        {
            VocabPath = vocabulary ?? options.VocabPath,
            Epochs = stage.Epochs,
            ValidationSet = null, // the stage is not chosen by dev: it ends after its epochs
            EarlyStoppingPatience = null,
            CheckpointDirectory = null,
            Resume = false,
            WeightAverageDecay = null,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = ml.MulticlassClassification.Trainers.GauQuestionAnswering(stageOptions).Fit(load(questions));
        model.SaveCheckpoint(directory);
        output.WriteLine($"cloze questions: trained in {clock.Elapsed.TotalSeconds:F0} s ({model.TrainingResult!.TrainingRowsPerSecond:F0} windows/s); wrote {directory}");
        settings[WeightsHashKey] = PretrainCommand.WeightsHash(directory);
        AtomicFile.Write(mark, s => JsonSerializer.Serialize(s, settings, new JsonSerializerOptions { WriteIndented = true }));
        return (directory, false);
    }

    /// <summary>What the stage's model depends on: its own settings, the training's, and the weights it starts from.</summary>
    private static Dictionary<string, string> Describe(Settings stage, GauQuestionAnsweringOptions options)
    {
        var settings = new Dictionary<string, string>(options.FingerprintExtras ?? new Dictionary<string, string>())
        {
            ["cloze_questions_per_context"] = $"{stage.PerContext}",
            ["cloze_epochs"] = $"{stage.Epochs}",
            ["start"] = options.ModelDirectory is { } start ? $"weights sha256 {PretrainCommand.WeightsHash(start)}" : $"from scratch, {JsonSerializer.Serialize(options.Config)}",
            ["seed"] = $"{options.Seed}",
            ["learning_rate"] = $"{options.LearningRate}",
            ["warmup"] = $"{options.WarmupFraction}",
            ["batch_size"] = $"{options.BatchSize}",
            ["max_length"] = $"{options.MaxLength}",
            ["training_precision"] = $"{options.TrainingPrecision}",
            ["document_stride"] = $"{options.DocumentStride}",
            ["mark_question_overlap"] = $"{options.MarkQuestionOverlap}",
            ["train_windows_without_answer"] = $"{options.TrainWindowsWithoutAnswer}",
        };
        settings.Remove("dev_file"); // the stage does not read dev
        return settings;
    }

    /// <summary>A finished stage is reused only by the command that made it, with the weights it wrote.</summary>
    private static void RequireDoneMatches(string mark, Dictionary<string, string> settings, string directory)
    {
        Dictionary<string, string>? done;
        try
        {
            done = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(mark));
        }
        catch (JsonException ex)
        {
            throw new CliFailure(ExitCodes.DataError, $"error: {mark} cannot be read as the cloze stage's record ({ex.Message}); rerun without --resume to train it again.");
        }
        if (done is null || !done.TryGetValue(WeightsHashKey, out string? weights))
            throw new CliFailure(ExitCodes.DataError, $"error: {mark} names no {WeightsHashKey}; rerun without --resume to train the cloze stage again.");
        var changed = settings.Keys.Union(done.Keys).Where(k => k != WeightsHashKey && settings.GetValueOrDefault(k) != done.GetValueOrDefault(k))
            .Order(StringComparer.Ordinal).Select(k => $"{k}: stage {done.GetValueOrDefault(k) ?? "(absent)"}, this run {settings.GetValueOrDefault(k) ?? "(absent)"}").ToList();
        if (changed.Count > 0)
            throw new UsageException($"--resume: the cloze stage in {directory} was made with other settings ({string.Join("; ", changed)}); rerun without --resume to start afresh.");
        string path = CheckpointFiles.WeightsPath(directory);
        if (!File.Exists(path) || !string.Equals(PretrainCommand.WeightsHash(directory), weights, StringComparison.OrdinalIgnoreCase))
            throw new CliFailure(ExitCodes.DataError, $"error: {path} is not the file the cloze stage finished with; rerun without --resume to train it again.");
    }
}
