using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Cli.Terminal;
using GauMLNet.Configuration;
using GauMLNet.Storage;
using GauMLNet.Tasks;
using GauMLNet.TorchSharp.Checkpoints;
using GauMLNet.TorchSharp.Modeling;
using GauMLNet.TorchSharp.Runtime;
using GauMLNet.TorchSharp.Training;
using GauMLNet.TorchSharp.Training.Pretraining;
using GauMLNet.Training;
using TorchSharp;

namespace GauMLNet.Cli.Commands;

/// <summary>gau pretrain: masked-LM pretraining from scratch or continued from a checkpoint (domain adaptation).</summary>
internal static class PretrainCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var corpus = new Option<string[]>("--corpus") { Description = "text files: plain lines or JSON lines", Required = true, AllowMultipleArgumentsPerToken = true };
        var field = new Option<string?>("--field") { Description = "JSON lines: the field holding the text (default sentence, text or content)" };
        var config = new Option<string>("--config") { Description = "from scratch: tiny, small, base or a config.json", DefaultValueFactory = _ => "small" };
        var model = new Option<string?>("--model") { Description = "continue pretraining this checkpoint directory instead" };
        var vocab = new Option<string?>("--vocab") { Description = "from scratch: a vocab.txt (default: built from the corpus)" };
        var outputDir = CommonOptions.RequiredPath("--output", "the checkpoint directory to write (config.json, model.safetensors, vocab.txt)");
        var steps = new Option<long>("--steps") { DefaultValueFactory = _ => 1000 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var accumulate = new Option<int>("--accumulate") { Description = "micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var maxLength = new Option<int>("--max-length") { DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--learning-rate") { DefaultValueFactory = _ => 1e-3 };
        var schedule = new Option<string?>("--schedule") { Description = "piecewise-linear multipliers, e.g. \"0:1,160000:0.5,640000:0.1,1280000:0.01\" (the default, GAU-α's)" };
        var every = new Option<int>("--checkpoint-every") { DefaultValueFactory = _ => 200 };
        var resume = new Option<bool>("--resume") { Description = "continue from the checkpoint in --output" };
        var timeLimit = new Option<double?>("--minutes") { Description = "stop (and save) after this many minutes" };
        var seed = new Option<int>("--seed");
        var maxSpan = new Option<int>("--max-span-length") { Description = "mask runs of up to this many adjacent words (SpanBERT, lengths geometric with p 0.2); 1: words one by one", DefaultValueFactory = _ => 1 };
        var device = CommonOptions.Device();
        var threads = new Option<int>("--threads");
        var checkpointing = CommonOptions.GradientCheckpointing();
        var encoding = CommonOptions.Encoding();
        var trainingPrecision = CommonOptions.TrainingPrecision();
        var forcePrecision = CommonOptions.ForcePrecision(scores: false);
        var attention = CommonOptions.Attention();
        var chunkSize = CommonOptions.ChunkSize();
        var command = new Command("pretrain", "Masked-LM pretraining (whole-word masking, LAMB, piecewise-linear LR, no warmup), resumable.")
        {
            corpus, field, config, model, vocab, outputDir, steps, batch, accumulate, maxLength, lr, schedule, every, resume, timeLimit, seed, maxSpan, device, threads,
            checkpointing, encoding, trainingPrecision, forcePrecision, attention, chunkSize,
        };
        command.SetAction(r => CommandGuard.Run(r, error, () =>
        {
            // Every argument is checked before any data is read.
            string outDir = r.GetValue(outputDir)!;
            var files = r.GetValue(corpus)!.Select(f => Arguments.ExistingFile("--corpus", f)).ToList();
            Arguments.AtLeast("--steps", r.GetValue(steps), 1);
            Arguments.AtLeast("--batch-size", r.GetValue(batch), 1);
            Arguments.AtLeast("--accumulate", r.GetValue(accumulate), 1);
            Arguments.AtLeast("--max-length", r.GetValue(maxLength), 8);
            Arguments.Positive("--learning-rate", r.GetValue(lr));
            Arguments.AtLeast("--max-span-length", r.GetValue(maxSpan), 1);
            Arguments.AtLeast("--checkpoint-every", r.GetValue(every), 0);
            Arguments.AtLeast("--threads", r.GetValue(threads), 0);
            if (r.GetValue(timeLimit) is { } limit) Arguments.Positive("--minutes", limit);
            Arguments.Device(r.GetValue(device)!);
            var textEncoding = Arguments.Encoding(r.GetValue(encoding));
            var precision = Arguments.TrainingPrecision(r.GetValue(trainingPrecision)!);
            var pointSchedule = ParseSchedule(r.GetValue(schedule));
            if (r.GetValue(model) is { } modelDirectory) Arguments.ExistingDirectory("--model", modelDirectory);
            else if (r.GetValue(vocab) is { } vocabPath) Arguments.ExistingFile("--vocab", vocabPath);
            Arguments.AttentionFromScratchOnly(r.GetValue(model), r.GetValue(attention), r.GetValue(chunkSize));
            var preset = Arguments.Attention(Arguments.Config(r.GetValue(config)!), r.GetValue(attention), r.GetValue(chunkSize));
            string stateDir = Path.Combine(outDir, "pretrain-checkpoint");
            if (r.GetValue(resume) && !TrainingCheckpoint.Exists(stateDir))
                throw new UsageException($"--resume: there is no checkpoint in {stateDir} to resume from; run without --resume to start.");
            AtomicFile.RemoveLeftovers(outDir);
            if (r.GetValue(threads) > 0) torch.set_num_threads(r.GetValue(threads));
            var texts = PretrainingCorpus.ReadTexts(files, r.GetValue(field), textEncoding).ToList();
            if (texts.All(string.IsNullOrWhiteSpace)) // bad data, not a bad call: the files hold nothing to learn from
                throw new InvalidDataException($"--corpus: {string.Join(", ", files)} hold(s) no text to pretrain on.");

            bool recompute = r.GetValue(checkpointing);
            var source = r.GetValue(model) is { } directory
                ? GauModelSource.FromDirectory(directory, c => recompute ? c with { GradientCheckpointing = true } : c)
                : GauModelSource.FromScratch(preset with { GradientCheckpointing = recompute }, r.GetValue(vocab), texts);
            var network = source.PretrainedDirectory is { } pretrained
                ? CheckpointDirectory.LoadMaskedLM(pretrained, _ => source.Config)
                : TaskNetworks.CreateMaskedLM(source.Config, r.GetValue(seed));
            string vocabText = source.VocabText;
            using var _ = network;
            var tokenizer = source.Tokenizer;
            var sequences = PretrainingCorpus.Pack(texts, tokenizer, r.GetValue(maxLength));
            if (sequences.Count == 0) throw new InvalidDataException($"--corpus: {string.Join(", ", files)} packed into no sequences of at least one token.");
            output.WriteLine($"{texts.Count} texts packed into {sequences.Count} sequences of up to {r.GetValue(maxLength)} tokens; " +
                             $"{network.Config.NumHiddenLayers} GAU layers, d {network.Config.HiddenSize}, vocab {network.Config.VocabSize}");

            var bar = ConsoleProgressBar.For(output);
            using var stop = new StopSignals();
            var options = new PretrainingOptions
            {
                Steps = r.GetValue(steps),
                BatchSize = r.GetValue(batch),
                GradientAccumulation = r.GetValue(accumulate),
                LearningRate = r.GetValue(lr),
                MaxSpanLength = r.GetValue(maxSpan),
                Schedule = pointSchedule,
                Seed = r.GetValue(seed),
                CheckpointEvery = r.GetValue(every),
                CheckpointDirectory = stateDir,
                Resume = r.GetValue(resume),
                TimeLimit = r.GetValue(timeLimit) is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
                Precision = precision,
                ForcePrecision = r.GetValue(forcePrecision),
            };
            PretrainingResult result;
            try
            {
                result = new MaskedLanguageModelPretrainer(options, log: bar.Line, progress: bar)
                    .Run(network, tokenizer, sequences, ComputeDevice.Resolve(r.GetValue(device)), stop.Token);
            }
            catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
            {
                bar.Line($"stopped by {stop.Name} after the current step; the last checkpoint is in {stateDir}. Continue with the same command and --resume.");
                return stop.ExitCode;
            }
            catch (GauTrainingDivergedException ex)
            {
                bar.EndLine();
                throw new CliFailure(ExitCodes.Diverged, $"error: pretraining diverged at step {ex.Step}: {ex.Reason}. The last checkpoint in {stateDir} holds the last good weights.\n" +
                    $"Start again with a lower --learning-rate (now {r.GetValue(lr):G3}).");
            }
            finally
            {
                bar.EndLine();
            }

            Save(outDir, network, vocabText, result, output);
            return 0;
        }));
        return command;
    }

    /// <summary>The pretrained checkpoint (config, weights, vocabulary), its loss curve and pretrain-metrics.json, each written atomically.</summary>
    public static void Save(string outDir, GauAlphaForMaskedLM network, string vocabText, PretrainingResult result, TextWriter output)
    {
        string vocabFile = CheckpointFiles.VocabPath(outDir);
        AtomicFile.WriteAllText(vocabFile, vocabText);
        CheckpointDirectory.Save(outDir, network, vocabFile);
        TrainingCurvePlot.Save(Path.Combine(outDir, "pretrain-curve.png"), "GAU-α masked-LM pretraining", result.Losses, "masked-token accuracy",
            Enumerable.Range(1, result.MaskedAccuracies.Count).Select(i => (double)i).ToArray(), [.. result.MaskedAccuracies], markers: false);
        var metrics = new
        {
            steps = result.StepsRun,
            precision = result.Precision.ShortName(),
            tokens_per_second = Math.Round(result.TokensPerSecond),
            final_loss = result.Losses.Count > 0 ? result.Losses.TakeLast(20).Average() : double.NaN,
            final_masked_accuracy = result.MaskedAccuracies.Count > 0 ? result.MaskedAccuracies.TakeLast(20).Average() : double.NaN,
            weights_sha256 = WeightsHash(outDir),
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, MetricsFile), JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
        output.WriteLine($"{result.StepsRun} steps ({result.Precision.ShortName()}), {result.TokensPerSecond:F0} tokens/s, loss {metrics.final_loss:F3}, masked accuracy {metrics.final_masked_accuracy:P1}; wrote {outDir}");
    }

    public const string MetricsFile = "pretrain-metrics.json";

    /// <summary>The SHA-256 of the weights the metrics file describes, so a weights file changed since is told apart.</summary>
    public const string WeightsHashKey = "weights_sha256";

    public static string WeightsHash(string directory) => FileManifest.HashFile(CheckpointFiles.WeightsPath(directory));

    private static Dictionary<long, double>? ParseSchedule(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => p.Split(':'))
                .ToDictionary(p => long.Parse(p[0], CultureInfo.InvariantCulture), p => double.Parse(p[1], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or ArgumentException)
        {
            throw new UsageException($"--schedule: expected \"step:multiplier,…\", got '{text}'.");
        }
    }
}
