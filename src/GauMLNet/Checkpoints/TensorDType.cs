using GauMLNet.Storage;
using static TorchSharp.torch;

namespace GauMLNet.TorchSharp.Checkpoints;

/// <summary>The safetensors dtype codes (<see cref="SafeTensorsDType"/>) as libtorch types.</summary>
internal static class TensorDType
{
    private static readonly Dictionary<string, ScalarType> ByCode = new(StringComparer.Ordinal)
    {
        ["F64"] = ScalarType.Float64,
        ["F32"] = ScalarType.Float32,
        ["F16"] = ScalarType.Float16,
        ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64,
        ["I32"] = ScalarType.Int32,
        ["I16"] = ScalarType.Int16,
        ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte,
        ["BOOL"] = ScalarType.Bool,
    };

    public static ScalarType ScalarTypeOf(string code) =>
        ByCode.TryGetValue(code, out var type) ? type : throw new InvalidDataException($"Unsupported dtype {code}.");

    public static string Code(ScalarType type) =>
        ByCode.FirstOrDefault(kv => kv.Value == type).Key
        ?? throw new NotSupportedException($"dtype {type} has no safetensors code here.");

    public static int ElementSize(ScalarType type) =>
        SafeTensorsDType.TryGetElementSize(Code(type), out int bytes) ? bytes : throw new NotSupportedException($"dtype {type} has no element size here.");
}
