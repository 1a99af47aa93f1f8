namespace GauMLNet.Configuration;

/// <summary>How a sequence of hidden states becomes one vector.</summary>
public enum SequencePooling
{
    /// <summary>The hidden state of the first token ([CLS]), as GAU-α's CLUE fine-tuning does.</summary>
    First,
    /// <summary>The mean over real (unmasked) tokens.</summary>
    Mean,
}
