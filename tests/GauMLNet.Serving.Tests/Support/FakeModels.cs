using System.Collections.Concurrent;
using System.Text;
using GauMLNet.Configuration;
using GauMLNet.Engines;
using GauMLNet.Scoring;
using GauMLNet.Tasks;
using GauMLNet.Text;

namespace GauMLNet.Serving.Tests.Support;

/// <summary>
/// An engine that records every batch it runs and answers, for each row, the id of its first real token after [CLS]
/// (regression: one value per row), so each caller can check it got its own row's result. Can be held at a gate or fail.
/// </summary>
public sealed class RecordingEngine : IGauInferenceEngine
{
    public ConcurrentQueue<int[]> Batches { get; } = new(); // first-token ids of each batch's rows
    public ManualResetEventSlim Gate { get; } = new(initialState: true);
    public TimeSpan Delay { get; set; }
    public Func<PaddedBatch, Exception?>? Fail { get; set; }
    public int Width { get; set; } = 1;
    public int Running;

    public string Description => "recording test engine";

    public EngineOutput Run(PaddedBatch batch)
    {
        Interlocked.Increment(ref Running);
        try
        {
            Gate.Wait();
            if (Delay > TimeSpan.Zero) Thread.Sleep(Delay);
            if (Fail?.Invoke(batch) is { } error) throw error;
            var firsts = Enumerable.Range(0, batch.Rows).Select(r => (int)batch.InputIds[r * batch.Length + 1]).ToArray();
            Batches.Enqueue(firsts);
            var values = new float[batch.Rows * Width];
            for (int r = 0; r < batch.Rows; r++)
                for (int w = 0; w < Width; w++) values[r * Width + w] = firsts[r] + w;
            return new EngineOutput(values, [batch.Rows, Width]);
        }
        finally
        {
            Interlocked.Decrement(ref Running);
        }
    }

    public void Dispose() => Gate.Dispose();
}

public static class FakeModels
{
    public const string Characters = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥好坏平";

    public static string Vocab => string.Join('\n', new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Characters.Select(c => c.ToString()))) + "\n";

    /// <summary>The id the tokenizer gives a character of <see cref="Characters"/>.</summary>
    public static int IdOf(char c) => 5 + Characters.IndexOf(c);

    public static GauTaskModel Regression(RecordingEngine engine) => Create(engine, new GauTaskSpec
    {
        Task = GauTask.Regression,
        TextColumns = ["Sentence"],
        OutputColumns = ["Score"],
        Outputs = 1,
        MaxLength = 16,
    });

    public static GauTaskModel Classification(RecordingEngine engine, params string[] labels) => Classification(engine, labels.Length, new LabelValues("text", labels));

    /// <summary>A classifier whose label values are unknown (its key column had no KeyValues ML.NET could name).</summary>
    public static GauTaskModel Classification(RecordingEngine engine, int classes, LabelValues? labels)
    {
        engine.Width = classes;
        return Create(engine, new GauTaskSpec
        {
            Task = GauTask.Classification,
            TextColumns = ["Sentence"],
            OutputColumns = ["Score", "PredictedLabel"],
            Outputs = classes,
            Labels = labels,
            MaxLength = 16,
        });
    }

    private static GauTaskModel Create(RecordingEngine engine, GauTaskSpec spec)
    {
        var config = GauAlphaConfig.Tiny with { VocabSize = 5 + Characters.Length };
        var package = GauModelPackage.Create(spec, config, Vocab, Encoding.ASCII.GetBytes("not used by the recording engine"));
        return new GauTaskModel(package, engine);
    }
}
