namespace GauMLNet.Training;

/// <summary>How much a log line of a training run matters to someone watching it.</summary>
public enum TrainingLogLevel
{
    /// <summary>Progress detail: steps, losses, validation scores, checkpoints saved, the run's summary.</summary>
    Detail,

    /// <summary>What changes the outcome or its reading: a resume, rows truncated or skipped, early stopping, the best epoch kept, a precision fallback.</summary>
    Notice,
}
