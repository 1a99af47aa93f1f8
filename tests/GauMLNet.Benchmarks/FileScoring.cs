using System.Diagnostics;
using System.Text;
using GauMLNet.Clue;
using GauMLNet.Configuration;
using GauMLNet.MLNet;
using GauMLNet.Tabular;
using GauMLNet.TorchSharp;
using Microsoft.ML;

namespace GauMLNet.Benchmarks;

internal sealed record FileScoringResult(long Rows, int BatchSize, double Seconds, double RowsPerSecond, double ResidentStartMegabytes,
    double ResidentAfterTenthMegabytes, double ResidentEndMegabytes, double ResidentMaxMegabytes, long OutputRows, IReadOnlyList<double[]> ResidentByRows);

/// <summary>
/// gau predict --input's path (TabularScorer) over a generated CSV: rows/s, and resident memory at the start, after a tenth of
/// the rows, at the end and at its highest, which must stay flat whatever the file's size. The model is a micro classifier
/// (2 layers, width 64) trained in seconds on 200 rows; the file's texts are 10-40 characters, every 10th quoted with a comma and quotes in it.
/// </summary>
internal static class FileScoring
{
    public static FileScoringResult Measure(long rows, int batchSize = 256)
    {
        string folder = Path.Combine(Path.GetTempPath(), "gaumlnet-file-scoring-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            var ml = new MLContext(seed: 0);
            string modelPath = Path.Combine(folder, "model.zip");
            TrainTinyClassifier(ml, modelPath);
            string input = Path.Combine(folder, "big.csv");
            string output = Path.Combine(folder, "scored.csv");
            Generate(input, rows);

            var model = ml.Model.LoadGauModel(modelPath, out _);
            GC.Collect();
            double start = ProcessMemory.ResidentMegabytes, tenth = double.NaN, max = start;
            var samples = new List<double[]>();
            long nextSample = Math.Max(1, rows / 20);
            var clock = Stopwatch.StartNew();
            var result = TabularScorer.Score(ml, model, input, new TabularColumns("text"), output, new TabularScoringOptions
            {
                BatchSize = batchSize,
                Progress = (done, _) =>
                {
                    if (done < nextSample && done < rows) return;
                    nextSample += Math.Max(1, rows / 20);
                    double rss = ProcessMemory.ResidentMegabytes;
                    max = Math.Max(max, rss);
                    if (double.IsNaN(tenth) && done >= rows / 10) tenth = rss;
                    samples.Add([done, Math.Round(rss, 1)]);
                    if (rows >= 100_000) Console.WriteLine($"      {done,9:N0} rows  {done / clock.Elapsed.TotalSeconds,7:F0} rows/s  RSS {rss:F0} MB");
                },
            });
            double end = ProcessMemory.ResidentMegabytes;
            long outputRows = CountRecords(output) - 1;
            return new FileScoringResult(result.Rows, batchSize, result.Seconds, result.RowsPerSecond, Math.Round(start, 1), Math.Round(tenth, 1),
                Math.Round(end, 1), Math.Round(Math.Max(max, end), 1), outputRows, samples);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // Smaller than the tiny preset (1/4 of its width, half its layers): the stage measures the file path and its memory, and
    // 1,000,000 rows should take minutes on 2 cores; the model's own speed is measured in (b)-(h).
    private static readonly GauAlphaConfig Micro = new() { HiddenSize = 64, EmbeddingSize = 64, IntermediateSize = 128, AttentionKeySize = 32, NumHiddenLayers = 2 };

    private static readonly string[] Words = ["这个", "产品", "质量", "很好", "物流", "太慢", "客服", "态度", "不错", "价格", "便宜", "失望", "推荐", "包装", "破损"];

    private static string Text(Random random)
    {
        var builder = new StringBuilder();
        int words = random.Next(5, 20);
        for (int i = 0; i < words; i++) builder.Append(Words[random.Next(Words.Length)]);
        return builder.ToString();
    }

    private static void TrainTinyClassifier(MLContext ml, string path)
    {
        var random = new Random(1);
        var rows = Enumerable.Range(0, 200).Select(i => new ClueExample { Id = i.ToString(), Sentence1 = Text(random), Label = i % 2 == 0 ? "positive" : "negative" }).ToList();
        var train = ml.Data.LoadFromEnumerable(rows);
        var options = new GauTextClassificationOptions { Config = Micro, Epochs = 1, MaxLength = 32, BatchSize = 32, Device = "cpu", Seed = 1 };
        var model = CluePipeline.FitClassifier(ml, isPair: false, train, null, options, o => ml.MulticlassClassification.Trainers.GauTextClassification(o),
            new Dictionary<string, string>());
        using var stream = File.Create(path);
        ml.Model.Save(model, train.Schema, stream);
    }

    private static void Generate(string path, long rows)
    {
        var random = new Random(2);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        writer.Write("id,text,source\n");
        for (long i = 0; i < rows; i++)
        {
            string text = Text(random);
            writer.Write(i % 10 == 0 ? $"{i},\"{text}，\"\"引用\"\", {i}\",web\n" : $"{i},{text},app\n");
        }
    }

    private static long CountRecords(string path)
    {
        using var reader = TabularReader.Open(path, ["1"], hasHeader: false);
        long count = 0;
        while (reader.Next() is not null) count++;
        return count;
    }
}
