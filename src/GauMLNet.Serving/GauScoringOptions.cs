using System.Reflection;
using Microsoft.ML;

namespace GauMLNet.Serving;

/// <summary>What to do with a request when the scorer's queue is full.</summary>
public enum QueueFullMode
{
    /// <summary>Fail at once with <see cref="GauScorerOverloadedException"/> (a server answers 503 and the client retries).</summary>
    Reject,

    /// <summary>Wait for room in the queue (the request's cancellation token still applies).</summary>
    Wait,
}

/// <summary>How a <see cref="IGauScorer"/> loads its model and batches requests.</summary>
public sealed class GauScoringOptions
{
    /// <summary>
    /// The fitted model: an ML.NET model file (.zip, as saved by <c>mlContext.Model.Save</c> or <c>gau train</c>) holding one
    /// GAU transformer, or a model directory written by <c>SaveCheckpoint</c> (gau-task.json, config.json, vocab.txt, weights).
    /// A model file is served as <c>model.Transform</c> scores it: every transform before and after the GAU transformer runs
    /// (a file holding the GAU transformer alone takes the fast path: tokenized on the caller's thread, no data view).
    /// </summary>
    public string ModelPath { get; set; } = "";

    /// <summary>
    /// The ML.NET context that loads the model file (e.g. one whose <c>ComponentCatalog</c> knows the application's
    /// CustomMapping factories); null makes a new one.
    /// </summary>
    public MLContext? MLContext { get; set; }

    /// <summary>
    /// Assemblies registered with the loading context's <c>ComponentCatalog</c> before the model file loads: those holding the
    /// <c>[CustomMappingFactoryAttribute]</c> factories of the saved pipeline's CustomMapping transforms.
    /// </summary>
    public IList<Assembly> ComponentAssemblies { get; set; } = [];

    /// <summary>
    /// The saved pipeline's input columns that receive a request's text (and its pair). By default the columns the GAU
    /// transformer reads when the pipeline's input has them, else the input's only text column (or two, for pairs). Other
    /// input columns (a label, say) are given their type's default value, as a PredictionEngine's default-valued field would be.
    /// </summary>
    public string[]? InputColumnNames { get; set; }

    /// <summary>A name for the model in responses and embedding metadata; by default the model file's or directory's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// The engine to score with: <c>torchsharp</c> (the GauMLNet package) or <c>onnxruntime</c> (GauMLNet.Onnx); null scores with
    /// the engine the model was saved for when the application references it, else with any installed engine that can.
    /// </summary>
    public string? Engine { get; set; }

    /// <summary>
    /// Null serves the model's own task. <see cref="Tasks.GauTask.Embedding"/> serves the encoder of a classification or
    /// regression model as an embedding model (its pooled hidden state; the task head is dropped), so one fine-tuned model
    /// can answer both /classify and /embed.
    /// </summary>
    public Tasks.GauTask? Task { get; set; }

    /// <summary>auto, cpu, cuda or cuda:N; null keeps the model's own setting.</summary>
    public string? Device { get; set; }

    /// <summary>Intra-op threads of the engine (0: the engine's default).</summary>
    public int Threads { get; set; }

    /// <summary>The most rows one forward pass scores; concurrent requests are gathered up to this many rows.</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// How long the first request of a batch waits for others to join it. Zero scores whatever is queued at once; requests
    /// that arrive while a forward pass runs always join the next one.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Requests that may wait in the queue; past this, <see cref="QueueFullMode"/> applies.</summary>
    public int QueueCapacity { get; set; } = 1024;

    public QueueFullMode QueueFullMode { get; set; } = QueueFullMode.Reject;

    /// <summary>Forward passes that may run at once (1 keeps the cores for one batch at a time, usually the fastest).</summary>
    public int MaxConcurrentBatches { get; set; } = 1;

    /// <summary>Texts longer than this many characters are refused (the tokenizer cuts to the model's max length anyway).</summary>
    public int MaxTextLength { get; set; } = 10_000;

    /// <summary>Load the model and run one warm-up batch when the host starts (else on first use).</summary>
    public bool WarmUpOnStart { get; set; } = true;

    internal void Validate(string name)
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        Require(!string.IsNullOrWhiteSpace(ModelPath), $"GAU scorer '{name}': ModelPath is not set.");
        Require(MaxBatchSize >= 1, $"GAU scorer '{name}': MaxBatchSize must be at least 1.");
        Require(MaxWait >= TimeSpan.Zero, $"GAU scorer '{name}': MaxWait must not be negative.");
        Require(QueueCapacity >= 1, $"GAU scorer '{name}': QueueCapacity must be at least 1.");
        Require(MaxConcurrentBatches >= 1, $"GAU scorer '{name}': MaxConcurrentBatches must be at least 1.");
        Require(MaxTextLength >= 1, $"GAU scorer '{name}': MaxTextLength must be at least 1.");
        Require(Threads >= 0, $"GAU scorer '{name}': Threads must not be negative.");
        Require(Task is null or Tasks.GauTask.Embedding, $"GAU scorer '{name}': Task can only turn a model into an embedding model (Embedding), not {Task}.");
    }

    internal GauScoringOptions Clone()
    {
        var copy = (GauScoringOptions)MemberwiseClone();
        copy.ComponentAssemblies = [.. ComponentAssemblies];
        return copy;
    }
}

/// <summary>The scorer's queue is full (<see cref="QueueFullMode.Reject"/>): retry later.</summary>
public sealed class GauScorerOverloadedException(string scorer, int capacity)
    : Exception($"GAU scorer '{scorer}' is overloaded: {capacity} request(s) are already queued. Retry later.")
{
    public string Scorer { get; } = scorer;
}
