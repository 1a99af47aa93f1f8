namespace GauMLNet.Configuration;

/// <summary>How a GAU turns attention logits a = q·kᵀ (/√s) into weights.</summary>
public enum AttentionNormalization
{
    /// <summary>softmax(a · log l / log 512), l = the row's unmasked key count (GAU-α's default).</summary>
    SoftmaxPlus,
    /// <summary>relu(a)² / l, as in bert4keras and the FLASH paper.</summary>
    SquaredRelu,
    /// <summary>Plain softmax(a).</summary>
    Softmax,
}
