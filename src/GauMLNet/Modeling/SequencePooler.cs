using GauMLNet.Configuration;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Modeling;

/// <summary>Pools [b, n, d] hidden states into [b, d] as <see cref="SequencePooling"/> says.</summary>
public static class SequencePooler
{
    /// <summary>hidden [b, n, d], attentionMask [b, n] → [b, d].</summary>
    public static Tensor Pool(Tensor hidden, Tensor attentionMask, SequencePooling pooling) => pooling switch
    {
        SequencePooling.First => hidden.select(1, 0),
        SequencePooling.Mean => MeanOverRealTokens(hidden, attentionMask),
        _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Unknown pooling."),
    };

    private static Tensor MeanOverRealTokens(Tensor hidden, Tensor attentionMask)
    {
        var weights = attentionMask.to(hidden.dtype).unsqueeze(-1); // [b, n, 1]
        return (hidden * weights).sum(1) / weights.sum(1).clamp_min(HeldScalars.One);
    }
}
