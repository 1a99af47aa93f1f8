namespace GauMLNet.Tasks;

/// <summary>What a fitted GAU model computes from a sequence, which sets its head, its loss and its outputs.</summary>
public enum GauTask
{
    /// <summary>Class logits from the pooled sequence; cross-entropy; outputs class probabilities and the argmax.</summary>
    Classification,
    /// <summary>One score from the pooled sequence; mean squared error; validation metric Pearson r.</summary>
    Regression,
    /// <summary>The pooled hidden state itself (no head, no training).</summary>
    Embedding,
    /// <summary>Per-token (BIO) or per-span (GlobalPointer) scores: named entities; outputs entities and per-character tags.</summary>
    TokenClassification,
    /// <summary>Start and end scores per token over question + context windows: extractive question answering; outputs answer spans.</summary>
    QuestionAnswering,
}
