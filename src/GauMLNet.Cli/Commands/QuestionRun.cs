using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Cli.Terminal;
using GauMLNet.Clue;
using GauMLNet.Evaluation;
using GauMLNet.MLNet;
using GauMLNet.QuestionAnswering;
using GauMLNet.Storage;
using GauMLNet.TorchSharp;
using GauMLNet.TorchSharp.Training;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>The CMRC 2018 task of `gau train`, `gau evaluate` and `gau predict`: extractive question answering, EM and F1.</summary>
internal static class QuestionRun
{
    public const string TaskName = "cmrc2018";

    /// <summary>The windows and decoding a question answerer is trained with (gau train's cmrc2018 options).</summary>
    public sealed record QuestionSettings(int MaxAnswerLength, int DocumentStride, bool MarkQuestionOverlap, long PretrainSteps, int PretrainMaxLength,
        bool TrainWindowsWithoutAnswer = false, double PretrainLearningRate = 1e-3, int PretrainMaxSpanLength = 1, string? Oversample = null,
        int ClozeQuestions = 0, int ClozeEpochs = 1, int Members = 1)
    {
        public static QuestionSettings Default { get; } = new(256, 128, false, 0, 256);
    }

    public static bool IsQuestionTask(string task) => string.Equals(task.Trim(), TaskName, StringComparison.OrdinalIgnoreCase);

    private sealed class Row
    {
        public string Context { get; set; } = "";
        public string Question { get; set; } = "";
        public string TrainingAnswer { get; set; } = "";
        public int AnswerIndex { get; set; }
    }

    // One row per question, its first gold answer the training target.
    private static IDataView Load(MLContext ml, IReadOnlyList<QuestionAnsweringExample> questions) =>
        ml.Data.LoadFromEnumerable(questions.Select(q => new Row
        {
            Context = q.Context,
            Question = q.Question,
            TrainingAnswer = q.Answers.Count > 0 ? q.Answers[0].Text : "",
            AnswerIndex = q.Answers.Count > 0 ? q.Answers[0].Start : 0,
        }));

    public static int Train(TrainingRun.Settings s, QuestionSettings q, TextWriter output)
    {
        Arguments.Positive("--max-answer-length", q.MaxAnswerLength);
        Arguments.Positive("--document-stride", q.DocumentStride);
        Arguments.AtLeast("--pretrain-steps", q.PretrainSteps, 0);
        Arguments.AtLeast("--pretrain-max-length", q.PretrainMaxLength, 8);
        Arguments.Positive("--pretrain-learning-rate", q.PretrainLearningRate);
        Arguments.AtLeast("--pretrain-max-span-length", q.PretrainMaxSpanLength, 1);
        Arguments.AtLeast("--cloze-questions", q.ClozeQuestions, 0);
        Arguments.AtLeast("--cloze-epochs", q.ClozeEpochs, 1);
        if (Arguments.AtLeast("--members", q.Members, 1) > 1) return QuestionMembers.Train(s, q, output);
        var oversampling = QuestionOversampling.Parse(q.Oversample);
        if (q.PretrainSteps > 0 && s.ModelDirectory is not null)
            throw new UsageException("--pretrain-steps pretrains a model from scratch on the training texts; --model already names a checkpoint (use gau pretrain --model to continue pretraining it).");
        bool resumePretraining = q.PretrainSteps > 0 && s.Resume, resumeCloze = q.ClozeQuestions > 0 && s.Resume;
        bool fineTuningCheckpoint = TrainingCheckpoint.Exists(Path.Combine(s.OutputDirectory, TrainingRun.CheckpointFolder));
        if (resumePretraining || resumeCloze)
        {
            if (!HasCheckpoint(s.OutputDirectory))
                throw new UsageException($"--resume: there is no checkpoint in {s.OutputDirectory} to resume from; run without --resume to start training.");
            s = s with { Resume = false }; // fine-tuning resumes only once the stages it started from are known to be this command's (below)
        }
        bool resumeFineTuning = (resumePretraining || resumeCloze) && fineTuningCheckpoint;
        var @checked = TrainingRun.CheckArguments(s, minimumMaxLength: 16);
        var (encoding, checkpoints) = (@checked.Encoding, @checked.Checkpoints);
        var ml = new MLContext(seed: s.Seed);
        var progress = ConsoleProgressBar.For(output);
        string trainPath = ClueDataFolder.Require(s.DataDirectory, ClueDataFolder.Split.Train);
        string? devPath = ClueDataFolder.Find(s.DataDirectory, ClueDataFolder.Split.Dev);
        var trainQuestions = SquadJson.Read(trainPath, requireAnswers: true, encoding);
        var devQuestions = devPath is null ? null : SquadJson.Read(devPath, requireAnswers: true, encoding);
        int matched = 0;
        var trainRows = oversampling?.Apply(trainQuestions, trainPath, out matched) ?? trainQuestions;
        var train = Load(ml, trainRows);
        var dev = devQuestions is null ? null : Load(ml, devQuestions);
        output.WriteLine($"{TaskName}: {trainQuestions.Count} training questions, {devQuestions?.Count ?? 0} dev questions; " +
                         (s.ModelDirectory is null ? $"training a {s.ConfigName} GAU-α from scratch" : $"fine-tuning {s.ModelDirectory}"));
        if (oversampling is not null)
            output.WriteLine($"oversampling: the {matched} questions whose id starts with '{oversampling.IdPrefix}' are trained {oversampling.Times} times per epoch ({trainRows.Count} training questions per epoch)");

        using var stop = new StopSignals();
        if (q.PretrainSteps > 0)
        {
            var texts = trainQuestions.Select(x => x.Context).Concat(trainQuestions.Select(x => x.Question)).Distinct(StringComparer.Ordinal).ToList();
            try
            {
                var (pretrained, reused) = InTaskPretraining.Run(texts, @checked.Config!, s, @checked, q.PretrainSteps, q.PretrainMaxLength, q.PretrainLearningRate, q.PretrainMaxSpanLength,
                    resumePretraining, progress, stop, output);
                if (resumeFineTuning && !reused)
                    output.WriteLine($"fine-tuning starts afresh: its checkpoint in {@checked.Checkpoints} began from a pretraining this command had not finished");
                resumeFineTuning &= reused;
                (s, @checked) = (s with { ModelDirectory = pretrained, LearningRate = s.LearningRate ?? 1e-3 }, @checked with { Config = null }); // it is still a model trained from scratch: its learning rate
            }
            catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
            {
                output.WriteLine($"stopped by {stop.Name} during in-task pretraining; continue with the same command and --resume.");
                return stop.ExitCode;
            }
        }
        if (resumePretraining || resumeCloze) s = s with { Resume = resumeFineTuning };
        var options = TrainingRun.Configure(new GauQuestionAnsweringOptions
        {
            ValidationSet = dev,
            Metadata = new Dictionary<string, string> { [ClueTask.MetadataKey] = TaskName },
            MaxAnswerLength = q.MaxAnswerLength,
            DocumentStride = q.DocumentStride,
            MarkQuestionOverlap = q.MarkQuestionOverlap,
            TrainWindowsWithoutAnswer = q.TrainWindowsWithoutAnswer,
        }, s, @checked, progress, stop, trainPath, devPath);
        // The kept epoch depends on how dev answers are decoded; the rows trained, on the oversampling; the start, on the cloze questions.
        var extras = new Dictionary<string, string>(options.FingerprintExtras!) { ["max_answer_length"] = $"{q.MaxAnswerLength}" };
        if (oversampling is not null) extras["oversample"] = $"{oversampling}";
        if (q.ClozeQuestions > 0) extras["cloze_questions"] = $"{q.ClozeQuestions} per context, {q.ClozeEpochs} epoch{(q.ClozeEpochs == 1 ? "" : "s")}";
        options = options with { FingerprintExtras = extras };
        if (q.ClozeQuestions > 0)
        {
            // From scratch, the real questions keep the from-scratch learning rate, though they start from the stage's checkpoint.
            if (options.ModelDirectory is null) options = options with { LearningRate = options.LearningRate ?? 1e-3 };
            try
            {
                var (cloze, reused) = ClozeQuestionStage.Run(ml, trainQuestions, new(q.ClozeQuestions, q.ClozeEpochs), options, rows => Load(ml, rows), s.OutputDirectory, resumeCloze, output);
                progress.EndLine();
                if (options.Resume && !reused)
                    output.WriteLine($"fine-tuning starts afresh: its checkpoint in {@checked.Checkpoints} began from a cloze stage that had not finished");
                options = options with { ModelDirectory = cloze, Config = null, Resume = options.Resume && reused };
                s = s with { ModelDirectory = cloze };
            }
            catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
            {
                progress.EndLine();
                output.WriteLine($"stopped by {stop.Name} during the cloze questions; run the same command with --resume (the stage starts again).");
                return stop.ExitCode;
            }
            catch (GauMLNet.Training.GauTrainingDivergedException ex)
            {
                progress.EndLine();
                throw new CliFailure(ExitCodes.Diverged, $"error: the cloze questions diverged at step {ex.Step}: {ex.Reason}. Rerun with a lower --learning-rate or without --cloze-questions.");
            }
        }
        double questionsPerSecond = double.NaN;
        return TrainingRun.FitAndReport(s, @checked, ml, train.Schema, stop, progress, output, options.LearningRate, () =>
        {
            var model = ml.MulticlassClassification.Trainers.GauQuestionAnswering(options).Fit(train);
            return new TrainingRun.Fitted(model, model.TrainingResult!);
        }, model =>
        {
            if (devQuestions is null) return TrainingRun.Dev.None;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var metrics = Score(Answerer(model), devQuestions);
            questionsPerSecond = devQuestions.Count / clock.Elapsed.TotalSeconds;
            return new TrainingRun.Dev(metrics, Line("dev", metrics));
        }, fitted => new()
        {
            ["task"] = TaskName,
            ["training_windows_per_second"] = Math.Round(fitted.Result.TrainingRowsPerSecond, 1),
            ["dev_questions_per_second"] = Math.Round(questionsPerSecond, 1),
            ["dev_f1_per_epoch"] = fitted.Result.ValidationMetrics,
        }, new TrainingRun.Curve($"GAU-α on {TaskName}", "F1", "windows"));
    }

    /// <summary>Whether a training run into <paramref name="output"/> left anything --resume continues from (a stage or fine-tuning).</summary>
    public static bool HasCheckpoint(string output) =>
        InTaskPretraining.Started(output) || InTaskPretraining.Finished(output) || ClozeQuestionStage.Finished(output) ||
        TrainingCheckpoint.Exists(Path.Combine(output, TrainingRun.CheckpointFolder));

    /// <summary>gau evaluate --task cmrc2018: EM, F1 and their average over every question of a SQuAD-style file.</summary>
    public static int Evaluate(string modelPath, string dataPath, System.Text.Encoding encoding, string? jsonPath, string? scoresPath, TextWriter output)
    {
        var answerer = Answerer(TrainingRun.LoadModel(new MLContext(), modelPath), modelPath);
        var questions = SquadJson.Read(dataPath, requireAnswers: true, encoding);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pass = QuestionAnswerer.Run(answerer.Models, questions);
        var metrics = QuestionAnswers.Score(questions, pass.Answers);
        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"{TaskName} {Path.GetFileName(dataPath)}: scored {questions.Count} questions in {seconds:F2} s ({questions.Count / seconds:F1} questions/s) with {Networks(answerer)}");
        output.WriteLine(Line(Path.GetFileName(dataPath), metrics));
        if (jsonPath is not null) AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
        if (scoresPath is not null) WriteRawScores(pass, questions, scoresPath);
        return 0;
    }

    // Every window's question id, context start, token ids, segments and raw head output ([n, 2]: start and end score per
    // position), to compare engines or implementations window by window.
    private static void WriteRawScores(QuestionAnswerer.Pass pass, IReadOnlyList<QuestionAnsweringExample> questions, string path)
    {
        var (windows, outputs) = (pass.Windows, pass.Outputs);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            for (int k = 0; k < windows.Count; k++)
                writer.WriteLine(JsonSerializer.Serialize(new
                {
                    id = questions[pass.Questions[windows[k].Example]].Id,
                    context_start = windows[k].ContextStart,
                    input_ids = windows[k].Input.Ids,
                    token_type_ids = windows[k].Input.TypeIds,
                    outputs = outputs[k][..(2 * windows[k].Input.Length)], // a padded batch's rows carry scores past their end
                }));
        });
    }

    /// <summary>gau predict --task cmrc2018: the folder's test.json answers into cmrc2018_predict.json, or one --text context and --question.</summary>
    public static int Predict(string modelPath, string? folder, IReadOnlyList<string> contexts, string? question, string outputDirectory, System.Text.Encoding encoding, TextWriter output)
    {
        var answerer = Answerer(TrainingRun.LoadModel(new MLContext(), modelPath), modelPath);
        if (folder is null)
        {
            if (question is null) throw new UsageException("--task cmrc2018 with --text needs --question: the question to answer from the text.");
            var answers = answerer.Answer(contexts.Select(c => (c, question)).ToList());
            for (int i = 0; i < contexts.Count; i++)
            {
                output.WriteLine(contexts[i]);
                foreach (var a in answers[i]) output.WriteLine($"  {a.Score,8:F2}\t{a.Start}\t{a.Text}");
                if (answers[i].Count == 0) output.WriteLine("  (no answer)");
            }
            return 0;
        }
        var questions = SquadJson.Read(ClueDataFolder.Require(folder, ClueDataFolder.Split.Test), requireAnswers: false, encoding);
        var best = answerer.Answer(questions.Select(q => (q.Context, q.Question)).ToList());
        string path = Path.Combine(outputDirectory, SquadJson.PredictionFile);
        SquadJson.WritePredictions(path, questions, best.Select(a => a.Count > 0 ? a[0].Text : "").ToList());
        output.WriteLine($"wrote {questions.Count} answers to {path}");
        return 0;
    }

    /// <summary>What scores: the engine, and how many networks' logits are averaged.</summary>
    public static string Networks(GauQuestionAnsweringTransformer answerer) =>
        answerer.Models.Count == 1 ? answerer.Model.Engine.Description : $"the mean of {answerer.Models.Count} networks' logits, each on {answerer.Model.Engine.Description}";

    public static QuestionAnsweringMetrics Score(GauQuestionAnsweringTransformer answerer, IReadOnlyList<QuestionAnsweringExample> questions) =>
        QuestionAnswers.Score(questions, answerer.Answer(questions.Select(q => (q.Context, q.Question)).ToList()));

    public static string Line(string split, QuestionAnsweringMetrics m) =>
        $"{split} F1 {m.F1:F2}, EM {m.ExactMatch:F2}, average {m.Average:F2} over {m.Questions} questions (CMRC 2018's metric)";

    public static GauQuestionAnsweringTransformer Answerer(ITransformer model, string? path = null) =>
        CluePipeline.GauTransformers(model).OfType<GauQuestionAnsweringTransformer>().FirstOrDefault()
            ?? throw new InvalidDataException($"--model: {path ?? "the model"} holds no question answerer (train one with gau train --task cmrc2018).");
}
