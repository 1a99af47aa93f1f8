namespace GauMLNet.Configuration;

/// <summary>
/// The number format training's forward and backward passes compute in. The master weights, the optimizer's state
/// and the saved weights are fp32 either way; the format a fitted model scores in is <see cref="InferencePrecision"/>.
/// </summary>
public enum TrainingPrecision
{
    /// <summary>fp32 throughout.</summary>
    Float32,

    /// <summary>
    /// bf16 mixed precision: forward and backward in bf16 on a bf16 copy of the weights; RMSNorm statistics, the attention
    /// normalization, the loss, the gradient norm and the optimizer step in fp32 on fp32 master weights. Faster than fp32
    /// only where the device computes bf16 natively (CPUs with AVX512-BF16 or AMX); elsewhere training falls back to fp32
    /// with a message unless forced.
    /// </summary>
    BFloat16,
}

/// <summary>Reads and names <see cref="TrainingPrecision"/> as users type it.</summary>
public static class TrainingPrecisionNames
{
    /// <summary>Reads fp32/float32 or bf16/bfloat16 (case-insensitive).</summary>
    public static TrainingPrecision Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => TrainingPrecision.Float32,
        "bf16" or "bfloat16" => TrainingPrecision.BFloat16,
        _ => throw new ArgumentException($"Unknown training precision '{name}'; expected fp32 or bf16.", nameof(name)),
    };

    /// <summary>fp32 or bf16: the name a checkpoint's fingerprint and the command line use.</summary>
    public static string ShortName(this TrainingPrecision precision) => precision switch
    {
        TrainingPrecision.Float32 => "fp32",
        TrainingPrecision.BFloat16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown training precision."),
    };
}
