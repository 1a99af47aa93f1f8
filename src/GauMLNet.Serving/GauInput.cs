namespace GauMLNet.Serving;

/// <summary>One row to score: a text, or a sentence pair for models that read two texts.</summary>
public readonly record struct GauInput(string Text, string? Pair = null)
{
    public static implicit operator GauInput(string text) => new(text);
}

/// <summary>A classification: the most probable label, its probability, and every label's probability.</summary>
public sealed record GauClassification(string Label, float Score, IReadOnlyDictionary<string, float> Probabilities);

/// <summary>What a loaded scorer serves.</summary>
/// <param name="Name">the scorer's name in the service collection</param>
/// <param name="Task">classification, regression (one score per row) or embedding</param>
/// <param name="Inputs">1 (a text) or 2 (a sentence pair)</param>
/// <param name="Outputs">classes, 1, or the embedding's dimensions</param>
/// <param name="Labels">class labels in output order (classification)</param>
/// <param name="Engine">the engine's description, e.g. "onnxruntime fp32 (2 threads)"</param>
/// <param name="Transforms">the saved pipeline's transforms in order (the GAU one included); empty when the GAU model is served alone (the fast path)</param>
public sealed record GauScorerInfo(string Name, string ModelId, Tasks.GauTask Task, int Inputs, int Outputs, IReadOnlyList<string> Labels,
    int MaxLength, string Engine, string ModelPath, IReadOnlyList<string> Transforms);

/// <summary>One request's results.</summary>
/// <param name="Values">per input: class probabilities, [score] or the embedding</param>
/// <param name="Labels">per input, the saved pipeline's predicted label when a transform after the GAU one made it text (a MapKeyToValue); else null</param>
/// <param name="Tokens">per input, the tokens the model read (from the one tokenization); null when the pipeline tokenized inside ML.NET</param>
public sealed record GauScores(float[][] Values, string[]? Labels, int[]? Tokens);

/// <summary>Counters since the scorer started.</summary>
/// <param name="Batches">forward passes run for requests (the warm-up excluded)</param>
/// <param name="Queued">requests waiting now</param>
public sealed record GauScorerStatistics(long Requests, long Rows, long Batches, long Rejected, long Cancelled, long Failed, int Queued)
{
    public double RowsPerBatch => Batches == 0 ? 0 : (double)Rows / Batches;
}
