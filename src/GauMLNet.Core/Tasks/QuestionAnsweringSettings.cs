using System.Text.Json.Serialization;

namespace GauMLNet.Tasks;

/// <summary>A question-answering model's windows and decoding, kept with it (gau-task.json).</summary>
public sealed record QuestionAnsweringSettings
{
    /// <summary>How many answers a question gets, best first.</summary>
    [JsonPropertyName("top_k")] public int TopK { get; init; } = 3;
    /// <summary>The longest answer, in tokens (characters, for Chinese).</summary>
    [JsonPropertyName("max_answer_tokens")] public int MaxAnswerTokens { get; init; } = 256;
    /// <summary>How many context tokens each window starts after the one before.</summary>
    [JsonPropertyName("document_stride")] public int DocumentStride { get; init; } = 128;
    /// <summary>A longer question keeps its first tokens.</summary>
    [JsonPropertyName("max_question_tokens")] public int MaxQuestionTokens { get; init; } = 64;
    /// <summary>Context tokens in a pair of adjacent tokens that the question also holds get segment 2 (the model has three segments).</summary>
    [JsonPropertyName("mark_question_overlap")] public bool MarkQuestionOverlap { get; init; }
}
