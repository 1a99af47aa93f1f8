namespace GauMLNet.MLNet;

/// <summary>
/// Options of GauQuestionAnswering, named as Microsoft.ML.TorchSharp's QuestionAnswer: a Context and a Question text column
/// in; for training the answer text (TrainingAnswer) and its character offset in the context (AnswerIndex); out, the
/// TopK answers (Answer, a vector of text) and their scores (Score, start + end logits, best first). Contexts longer
/// than one input are read in windows of MaxLength tokens, each DocumentStride tokens after the one before.
/// </summary>
public sealed record GauQuestionAnsweringOptions : GauTrainerOptionsBase
{
    public GauQuestionAnsweringOptions()
    {
        MaxLength = 512;
        BatchSize = 4;
        Epochs = 10;
    }

    public string ContextColumnName { get; init; } = "Context";
    public string QuestionColumnName { get; init; } = "Question";
    public string TrainingAnswerColumnName { get; init; } = "TrainingAnswer";
    /// <summary>The answer's character offset in the context (an integer column, or a float holding one).</summary>
    public string AnswerIndexColumnName { get; init; } = "AnswerIndex";
    public string PredictedAnswerColumnName { get; init; } = "Answer";
    public string ScoreColumnName { get; init; } = DefaultScoreColumn;
    /// <summary>How many answers each question gets, best first.</summary>
    public int TopK { get; init; } = 3;
    /// <summary>The longest answer, in tokens (one per character for Chinese).</summary>
    public int MaxAnswerLength { get; init; } = 256;
    /// <summary>How many context tokens each window starts after the one before.</summary>
    public int DocumentStride { get; init; } = 128;
    /// <summary>A longer question keeps its first tokens.</summary>
    public int MaxQuestionLength { get; init; } = 64;
    /// <summary>
    /// Marks the context tokens that are part of a pair of adjacent tokens the question also holds (segment 2): the lexical
    /// match cue that helps a model trained from scratch on few questions. The model needs three segments: a model
    /// trained from scratch gets them; a checkpoint with two has its segment table grown, segment 2 starting as a copy of
    /// segment 1.
    /// </summary>
    public bool MarkQuestionOverlap { get; init; }
    /// <summary>
    /// Trains the windows that hold none of their question's answer too, with both ends pointing at [CLS] (after BERT's
    /// SQuAD recipe): decoding compares spans across all of a question's windows, and a model that never saw a window
    /// without the answer scores some span in it as if the answer were there. Windows holding part of the answer stay
    /// untrained (BERT points them at [CLS] as well; the part they hold is a span of the answer's words).
    /// </summary>
    public bool TrainWindowsWithoutAnswer { get; init; }
}
