using System.Diagnostics;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Serving;
using GauMLNet.TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace GauMLNet.Benchmarks;

internal sealed record ServingResult(int Rows, double AloneRowsPerSecond, double PipelineRowsPerSecond, double PipelineCost, double MaxAbsDifference);

/// <summary>
/// (k) GauMLNet.Serving's two paths on the same GAU-α embedding model (small preset, 2 layers, TorchSharp): the model file
/// holding the GAU transformer alone (the fast path: tokenized on the caller's thread, the engine straight after) and the
/// same transformer saved in a pipeline [NormalizeText → GAU → NormalizeLpNorm] (each batch one in-memory data view through
/// every transform). Every row is its own request, all sent at once, so the scorer gathers batches of 32; rows/s of the
/// whole run, alternating the two, best of each. The check: the pipeline's vectors are the fast path's, L2-normalised.
/// </summary>
internal static class ServingThroughput
{
    public static ServingResult Measure(bool smoke) => Measure(smoke ? 64 : 2000, smoke ? 2 : 5);

    /// <param name="rows">requests per run</param>
    /// <param name="rounds">runs of each path, alternating</param>
    public static ServingResult Measure(int rows, int rounds)
    {
        var ml = new MLContext(seed: 0);
        var texts = Enumerable.Range(0, rows)
            .Select(i => $"第{i}条评论：这个东西{(i % 2 == 0 ? "质量很好，物流很快" : "用了两天就坏了，很失望")}，{new string('好', i % 40)}").ToArray();
        string directory = Path.Combine(Path.GetTempPath(), "gaumlnet-bench-serving-" + Environment.ProcessId);
        Directory.CreateDirectory(directory);
        try
        {
            string vocab = Path.Combine(directory, "vocab.txt");
            Text.VocabularyBuilder.Save(Text.VocabularyBuilder.Build(texts), vocab);
            var data = ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Raw = t, Sentence = t }));
            var config = GauAlphaConfig.Small with { NumHiddenLayers = 2 };
            using var gau = ml.Transforms.Text.GauTextEmbedding(new GauTextEmbeddingOptions { VocabPath = vocab, Config = config, Device = "cpu", MaxLength = 64 }).Fit(data);
            string alone = Path.Combine(directory, "alone.zip"), pipeline = Path.Combine(directory, "pipeline.zip");
            var sentences = ml.Data.LoadFromEnumerable(texts.Select(t => new Sentence { Text = t }));
            ml.Model.Save(gau, ml.Data.LoadFromEnumerable(texts.Select(t => new Only { Sentence = t })).Schema, alone);
            var normalize = ml.Transforms.Text.NormalizeText("Sentence", nameof(Sentence.Text)).Fit(sentences);
            var lpNorm = ml.Transforms.NormalizeLpNorm("Features").Fit(gau.Transform(normalize.Transform(sentences)));
            ml.Model.Save(new TransformerChain<ITransformer>(normalize, gau, lpNorm), sentences.Schema, pipeline);

            var options = new GauScoringOptions { MaxBatchSize = 32, MaxWait = TimeSpan.FromMilliseconds(2), QueueCapacity = texts.Length + 1 };
            using var fast = new GauBatchingScorer(With(options, alone));
            using var whole = new GauBatchingScorer(With(options, pipeline));
            fast.WarmUpAsync().GetAwaiter().GetResult();
            whole.WarmUpAsync().GetAwaiter().GetResult();
            if (fast.Info!.Transforms.Count != 0 || whole.Info!.Transforms.Count != 3)
                throw new InvalidOperationException($"expected the fast path and a 3-transform pipeline, got [{string.Join(", ", fast.Info!.Transforms)}] and [{string.Join(", ", whole.Info!.Transforms)}]");

            // A B A B …, best of each, so machine noise hits both alike.
            double aloneSeconds = double.MaxValue, pipelineSeconds = double.MaxValue;
            float[][] fastVectors = [], pipelineVectors = [];
            for (int round = 0; round < rounds; round++)
            {
                aloneSeconds = Math.Min(aloneSeconds, Run(fast, texts, out fastVectors));
                pipelineSeconds = Math.Min(pipelineSeconds, Run(whole, texts, out pipelineVectors));
            }
            Console.WriteLine($"    (k) forward passes: GAU alone {fast.Statistics.Batches} ({fast.Statistics.RowsPerBatch:F1} rows each), pipeline {whole.Statistics.Batches} ({whole.Statistics.RowsPerBatch:F1} rows each)");
            double worst = 0;
            for (int i = 0; i < texts.Length; i++)
            {
                double norm = Math.Sqrt(fastVectors[i].Sum(v => (double)v * v));
                for (int d = 0; d < fastVectors[i].Length; d++) worst = Math.Max(worst, Math.Abs(fastVectors[i][d] / norm - pipelineVectors[i][d]));
            }
            return new ServingResult(texts.Length, texts.Length / aloneSeconds, texts.Length / pipelineSeconds, pipelineSeconds / aloneSeconds - 1, worst);
        }
        finally
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }

    private static GauScoringOptions With(GauScoringOptions options, string path) => new()
    {
        ModelPath = path,
        MaxBatchSize = options.MaxBatchSize,
        MaxWait = options.MaxWait,
        QueueCapacity = options.QueueCapacity,
    };

    // Every row its own request, all in flight at once; the benchmark's own thread waits (it has nothing else to do).
    private static double Run(GauBatchingScorer scorer, string[] texts, out float[][] vectors)
    {
        var clock = Stopwatch.StartNew();
        var results = Task.WhenAll(texts.Select(t => scorer.ScoreAsync([t]))).GetAwaiter().GetResult();
        double seconds = clock.Elapsed.TotalSeconds;
        vectors = [.. results.Select(r => r[0])];
        return seconds;
    }

    private sealed class Row
    {
        public string Raw { get; set; } = "";
        public string Sentence { get; set; } = "";
    }

    private sealed class Only
    {
        public string Sentence { get; set; } = "";
    }

    private sealed class Sentence
    {
        public string Text { get; set; } = "";
    }
}
