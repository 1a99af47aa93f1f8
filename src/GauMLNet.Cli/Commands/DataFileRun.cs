using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GauMLNet.Cli.Failures;
using GauMLNet.Cli.Terminal;
using GauMLNet.MLNet;
using GauMLNet.Storage;
using GauMLNet.Tabular;
using GauMLNet.TorchSharp;
using Microsoft.ML;

namespace GauMLNet.Cli.Commands;

/// <summary>
/// gau train / evaluate / predict on a user's data file (CSV, TSV, JSON lines): the file's rows become the same examples a CLUE
/// task's do and go through the same pipelines (CluePipeline for classification and pairs, GauSentenceSimilarity for similarity).
/// </summary>
internal static class DataFileRun
{
    /// <summary>What train reads from a data file, beyond the settings every training run shares.</summary>
    public sealed record FileSettings(TabularColumns Columns, string? Kind, bool? HasHeader, string? DevFile, double? DevFraction);

    public static int Train(TrainingRun.Settings s, FileSettings f, TextWriter output)
    {
        TabularKind? stated = f.Kind is null ? null : Parse(f.Kind);
        if (f.DevFile is not null && f.DevFraction is not null) throw new UsageException("--dev and --dev-fraction: give one or the other.");
        if (f.DevFraction is { } fraction && !(fraction > 0 && fraction < 1))
            throw new UsageException($"--dev-fraction must be between 0 and 1 (exclusive), got {fraction}.");
        string path = DataFileOptions.RequireFile("--data", s.DataDirectory);
        if (f.DevFile is not null) DataFileOptions.RequireFile("--dev", f.DevFile);
        var @checked = TrainingRun.CheckArguments(s, f.Columns.TextPair is null ? 3 : 4);
        try { if (stated is { } kind) TabularKinds.Infer(f.Columns.TextPair is not null, [], kind); }
        catch (ArgumentException ex) { throw new UsageException(ex.Message); }

        var progress = ConsoleProgressBar.For(output);
        var all = TabularDataset.Read(path, f.Columns, stated, requireLabels: true, s.SkipBadLines, @checked.Encoding, f.HasHeader);
        ReportSkipped(output, all.Path, all.SkippedBadLines);
        var (train, dev) = f.DevFraction is { } share ? all.SplitDev(share, s.Seed)
            : (all, f.DevFile is { } devFile ? TabularDataset.Read(devFile, all.Columns, all.Kind, requireLabels: true, s.SkipBadLines, @checked.Encoding, f.HasHeader) : null);
        if (f.DevFile is not null) ReportSkipped(output, dev!.Path, dev.SkippedBadLines);
        output.WriteLine($"{Path.GetFileName(path)}: {all.Kind.Name()} ({Describe(all.Columns)}); {train.Examples.Count} training rows, {dev?.Examples.Count ?? 0} dev rows" +
                         (f.DevFraction is { } d ? $" (--dev-fraction {d.ToString(CultureInfo.InvariantCulture)}, seed {s.Seed})" : "") + "; " +
                         (s.ModelDirectory is null ? $"training a {s.ConfigName} GAU-α from scratch" : $"fine-tuning {s.ModelDirectory}"));

        var ml = new MLContext(seed: s.Seed);
        using var stop = new StopSignals();
        var metadata = TabularModel.Metadata(all);
        var extras = new Dictionary<string, string>
        {
            ["train_file"] = TrainingRun.FileHash(path),
            ["dev"] = f.DevFile is { } df ? TrainingRun.FileHash(df) : f.DevFraction is { } dfr ? $"fraction {dfr.ToString(CultureInfo.InvariantCulture)} seed {s.Seed}" : "none",
            ["columns"] = Describe(all.Columns),
        };
        bool similarityRun = all.Kind == TabularKind.Similarity;
        IDataView trainView = similarityRun ? ml.Data.LoadFromEnumerable(train.ToSimilarity()) : ml.Data.LoadFromEnumerable(train.ToClassification());
        IDataView? devView = dev is null ? null : similarityRun ? ml.Data.LoadFromEnumerable(dev.ToSimilarity()) : ml.Data.LoadFromEnumerable(dev.ToClassification());
        TrainingRun.Fitted Fit()
        {
            if (similarityRun)
            {
                var options = TrainingRun.Configure(new GauSentenceSimilarityOptions(), s, @checked, progress, stop, path, f.DevFile) with
                {
                    Sentence1ColumnName = nameof(SimilarityExample.Sentence1),
                    Sentence2ColumnName = nameof(SimilarityExample.Sentence2),
                    LabelColumnName = nameof(SimilarityExample.Label),
                    ValidationSet = devView,
                    Metadata = metadata,
                    FingerprintExtras = extras,
                };
                var similarity = ml.Regression.Trainers.GauSentenceSimilarity(options).Fit(trainView);
                return new TrainingRun.Fitted(similarity, similarity.TrainingResult!);
            }
            var classifierOptions = TrainingRun.Configure(new GauTextClassificationOptions(), s, @checked, progress, stop, path, f.DevFile) with { FingerprintExtras = extras };
            var chain = CluePipeline.FitClassifier(ml, all.Kind == TabularKind.Pair, trainView, devView, classifierOptions,
                o => ml.MulticlassClassification.Trainers.GauTextClassification(o), metadata);
            return new TrainingRun.Fitted(chain, chain.OfType<GauTextClassificationTransformer>().Single().TrainingResult!);
        }
        TrainingRun.Dev EvaluateDev(ITransformer model)
        {
            if (devView is null) return TrainingRun.Dev.None;
            object metrics = similarityRun
                ? SimilarityMetrics.Evaluate((GauSentenceSimilarityTransformer)model, (GauSentenceSimilarityTransformer)model, devView)
                : CluePipeline.EvaluateClassifier(Path.GetFileName(path), ((Microsoft.ML.Data.TransformerChain<ITransformer>)model).OfType<GauTextClassificationTransformer>().Single(), model, devView, progress.Line);
            return new TrainingRun.Dev(metrics, $"dev: {Describe(metrics)}");
        }
        return TrainingRun.FitAndReport(s, @checked, ml, trainView.Schema, stop, progress, output, s.LearningRate, Fit, EvaluateDev, fitted => new()
        {
            ["data"] = path,
            ["kind"] = all.Kind.Name(),
            ["columns"] = metadata,
            ["training_rows"] = train.Examples.Count,
            ["dev_rows"] = dev?.Examples.Count ?? 0,
            ["skipped_bad_lines"] = all.SkippedBadLines,
            ["training_rows_per_second"] = Math.Round(fitted.Result.TrainingRowsPerSecond, 1),
            ["dev_metric_per_epoch"] = fitted.Result.ValidationMetrics,
        }, new TrainingRun.Curve($"GAU-α on {Path.GetFileName(path)}", similarityRun ? "pearson" : "accuracy", "rows"));
    }

    public static int Evaluate(string modelPath, string path, DataFileOptions options, ParseResult r, bool skipBadLines, System.Text.Encoding encoding,
        string? jsonPath, TextWriter output, TextWriter error)
    {
        DataFileOptions.RequireFile("--data", path);
        var ml = new MLContext();
        var trained = TrainingRun.LoadModel(ml, modelPath);
        var (kind, gau) = TabularModel.Inspect(trained);
        var columns = TabularModel.Columns(gau, kind, r.GetValue(options.Text), r.GetValue(options.TextPair), r.GetValue(options.Label), withLabel: true);
        var data = TabularDataset.Read(path, columns, kind, requireLabels: true, skipBadLines, encoding, options.HasHeader(r));
        ReportSkipped(output, path, data.SkippedBadLines);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        object metrics = kind == TabularKind.Similarity
            ? SimilarityMetrics.Evaluate(trained, (GauSentenceSimilarityTransformer)gau, ml.Data.LoadFromEnumerable(data.ToSimilarity()))
            : CluePipeline.EvaluateClassifier(Path.GetFileName(path), (GauTextClassificationTransformer)gau, trained, ml.Data.LoadFromEnumerable(data.ToClassification()), error.WriteLine);
        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"{Path.GetFileName(path)} ({kind.Name()}, {Describe(data.Columns)}): {Describe(metrics)}, scored in {seconds:F2} s ({data.Examples.Count / seconds:F0} rows/s)");
        TrainingRun.ReportTruncation(output, gau.Model, "rows");
        if (jsonPath is not null) AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(metrics, metrics.GetType(), new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    public static int Predict(string modelPath, string input, string outputPath, DataFileOptions options, ParseResult r, bool skipBadLines,
        System.Text.Encoding encoding, int batchSize, (int Index, int Count)? shard, TextWriter output)
    {
        DataFileOptions.RequireFile("--input", input);
        if (!TabularFormats.IsDataFile(outputPath))
            throw new UsageException($"--output: with --input, name the scored file ({Path.GetFileNameWithoutExtension(input)}-scored{Path.GetExtension(input)}, say); {outputPath} is not a .csv, .tsv or .jsonl file.");
        Arguments.AtLeast("--batch-size", batchSize, 1);
        var ml = new MLContext();
        var trained = TrainingRun.LoadModel(ml, modelPath);
        var (kind, gau) = TabularModel.Inspect(trained);
        var columns = TabularModel.Columns(gau, kind, r.GetValue(options.Text), r.GetValue(options.TextPair), null, withLabel: false);
        var progress = ConsoleProgressBar.For(output);
        using var stop = new StopSignals();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TabularScoringResult result;
        try
        {
            result = TabularScorer.Score(ml, trained, input, columns, outputPath, new TabularScoringOptions
            {
                Encoding = encoding,
                HasHeader = options.HasHeader(r),
                SkipBadLines = skipBadLines,
                BatchSize = batchSize,
                CancellationToken = stop.Token,
                Shard = shard,
                Progress = (rows, fraction) => progress.Report(fraction, $"{rows:N0} rows {rows / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F0} rows/s"),
            });
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            progress.EndLine();
            output.WriteLine($"stopped by {stop.Name}; {outputPath} was not written (it is written whole or not at all).");
            return stop.ExitCode;
        }
        finally
        {
            progress.EndLine();
        }
        ReportSkipped(output, input, result.SkippedBadLines);
        output.WriteLine($"wrote {result.Rows:N0} scored rows{(shard is { } s ? $" of shard {s.Index}/{s.Count}" : "")} ({kind.Name()}: {string.Join(", ", TabularScorer.PredictionColumns(kind))}) to {outputPath} " +
                         $"in {result.Seconds:F1} s ({result.RowsPerSecond:F0} rows/s)");
        TrainingRun.ReportTruncation(output, gau.Model, "rows");
        return 0;
    }

    private static TabularKind Parse(string kind)
    {
        try { return TabularKinds.Parse(kind); }
        catch (ArgumentException ex) { throw new UsageException($"--kind: {ex.Message}"); }
    }

    private static void ReportSkipped(TextWriter output, string path, long skipped)
    {
        if (skipped > 0) output.WriteLine($"{path}: skipped {skipped} bad row(s) (--skip-bad-lines)");
    }

    private static string Describe(TabularColumns c) =>
        $"text '{c.Text}'" + (c.TextPair is null ? "" : $", pair '{c.TextPair}'") + (c.Label is null ? "" : $", label '{c.Label}'");

    private static string Describe(object metrics) => metrics switch
    {
        ClueMetrics m => $"accuracy {m.Accuracy:P2} (macro {m.MacroAccuracy:P2}, log-loss {m.LogLoss:F4}) over {m.Rows} rows",
        SimilarityMetrics m => $"Pearson {m.Pearson:F4}, Spearman {m.Spearman:F4}, MSE {m.MeanSquaredError:F4} over {m.Rows} rows",
        _ => metrics.ToString() ?? "",
    };
}
