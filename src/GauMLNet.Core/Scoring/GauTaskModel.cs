using GauMLNet.Engines;
using GauMLNet.Tasks;
using GauMLNet.Text;

namespace GauMLNet.Scoring;

/// <summary>
/// A fitted GAU model ready to score text: its files (<see cref="GauModelPackage"/>), the tokenizer (built
/// once), and the engine that runs the network. Scoring is tokenize → length-sorted batches → engine →
/// the task's post-processing (probabilities for classification; scores and embeddings as they are).
/// </summary>
public sealed class GauTaskModel : IDisposable
{
    private long _forwardPasses, _rowsEncoded, _rowsTruncated;

    public GauTaskModel(GauModelPackage package, IGauInferenceEngine engine)
    {
        Package = package;
        Engine = engine;
        Tokenizer = GauTokenizer.FromVocabText(package.VocabText, $"{package.Source}/vocab.txt");
    }

    public GauModelPackage Package { get; }
    public GauTaskSpec Spec => Package.Spec;
    public Configuration.GauAlphaConfig Config => Package.Config;
    public GauTokenizer Tokenizer { get; }
    public IGauInferenceEngine Engine { get; }

    /// <summary>How many batched forward passes this model has run (for diagnostics and tests).</summary>
    public long ForwardPasses => Interlocked.Read(ref _forwardPasses);

    /// <summary>Rows this model has tokenized, and how many of them were cut to its max length.</summary>
    public long RowsEncoded => Interlocked.Read(ref _rowsEncoded);
    public long RowsTruncated => Interlocked.Read(ref _rowsTruncated);

    /// <summary>Loads a package with the engine it names (or another registered engine that can score it).</summary>
    /// <param name="engine">an engine by name (it must be installed), or null for the saved one or another that can score it</param>
    /// <param name="threads">intra-op threads (0: the engine's default)</param>
    public static GauTaskModel Load(GauModelPackage package, string? device = null, string? engine = null, int threads = 0)
    {
        var factory = GauEngines.For(package, engine);
        // The saved device belongs to the saved engine; another engine starts from its own default.
        string deviceName = device ?? (string.Equals(factory.Name, package.Spec.Engine, StringComparison.OrdinalIgnoreCase) ? package.Spec.Device : "auto");
        return new GauTaskModel(package, factory.Create(package, EngineOptions.For(package.Spec, deviceName, threads)));
    }

    public static GauTaskModel LoadDirectory(string directory, string? device = null) => Load(GauModelPackage.LoadDirectory(directory), device);

    /// <summary>Tokenizes rows of text (one or two columns), counting the rows that had to be truncated.</summary>
    public EncodedText[] Encode(IReadOnlyList<string?[]> rows, out int truncated)
    {
        var encoded = rows.Select(r => Tokenizer.Encode(r[0], Spec.TextColumns.Length == 2 ? r[1] ?? "" : null, Spec.MaxLength)).ToArray();
        truncated = encoded.Count(e => e.Truncated);
        Interlocked.Add(ref _rowsEncoded, encoded.Length);
        Interlocked.Add(ref _rowsTruncated, truncated);
        return encoded;
    }

    /// <summary>
    /// One output vector per row, in order: class probabilities (classification), [score] (regression),
    /// or the pooled embedding.
    /// </summary>
    public float[][] Score(IReadOnlyList<EncodedText> rows) => Score(rows, Spec.BatchSize, out _);

    /// <summary>As <see cref="Score(IReadOnlyList{EncodedText})"/>, in batches of at most <paramref name="batchSize"/> rows.</summary>
    /// <param name="passes">the forward passes it took</param>
    public float[][] Score(IReadOnlyList<EncodedText> rows, int batchSize, out int passes)
    {
        var outputs = Run(rows, batchSize, out passes);
        if (Spec.Task == GauTask.Classification)
            foreach (var row in outputs) Softmax(row);
        return outputs;
    }

    /// <summary>The engine's raw output per row, in order (length-sorted batches; no post-processing).</summary>
    public float[][] Run(IReadOnlyList<EncodedText> rows) => Run(rows, Spec.BatchSize, out _);

    private float[][] Run(IReadOnlyList<EncodedText> rows, int batchSize, out int passes)
    {
        passes = 0;
        if (rows.Count == 0) return [];
        var outputs = BatchScorer.Run(rows, batchSize, Tokenizer.PadId, Engine.Run, out passes);
        Interlocked.Add(ref _forwardPasses, passes);
        return outputs;
    }

    /// <summary>The index of the largest value (the first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>Logits → probabilities in place (max-subtracted, accumulated in double).</summary>
    public static void Softmax(Span<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values) max = Math.Max(max, v);
        double sum = 0;
        for (int i = 0; i < values.Length; i++) sum += Math.Exp(values[i] - max);
        for (int i = 0; i < values.Length; i++) values[i] = (float)(Math.Exp(values[i] - max) / sum);
    }

    public void Dispose() => Engine.Dispose();
}
