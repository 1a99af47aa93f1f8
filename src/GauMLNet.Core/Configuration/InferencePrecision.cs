namespace GauMLNet.Configuration;

/// <summary>
/// The number format a fitted model scores in. Training and the saved weights stay fp32; BFloat16 only
/// changes how a transformer computes its outputs.
/// </summary>
public enum InferencePrecision
{
    /// <summary>fp32, the weights as trained.</summary>
    Float32,

    /// <summary>
    /// bf16 weights and activations: about 2.4× faster than fp32 on CPUs with AVX512-BF16 or AMX (measured in
    /// the benchmarks, with a 0.5% relative error on hidden states); slower than fp32 on CPUs without them.
    /// </summary>
    BFloat16,

    /// <summary>
    /// int8 weights for the large matrix multiplications with activations quantized per call (dynamic int8): the ONNX
    /// Runtime engine's option (models converted with int8 quantization). Engines without it score in fp32.
    /// </summary>
    Int8,
}

/// <summary>Reads <see cref="InferencePrecision"/> as users type it.</summary>
public static class InferencePrecisionNames
{
    /// <summary>Reads fp32/float32, bf16/bfloat16 or int8 (case-insensitive).</summary>
    public static InferencePrecision Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => InferencePrecision.Float32,
        "bf16" or "bfloat16" => InferencePrecision.BFloat16,
        "int8" => InferencePrecision.Int8,
        _ => throw new ArgumentException($"Unknown inference precision '{name}'; expected fp32, bf16 or int8.", nameof(name)),
    };
}
