namespace GauMLNet.Training;

/// <summary>What a sequence head predicts, which sets its loss and its validation metric.</summary>
public enum SequenceTaskKind
{
    /// <summary>Cross-entropy over classes; validation metric: accuracy.</summary>
    Classification,
    /// <summary>Mean squared error on one output; validation metric: Pearson correlation.</summary>
    Regression,
}
