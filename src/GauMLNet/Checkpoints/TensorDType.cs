using static TorchSharp.torch;

namespace GauMLNet.Checkpoints;

/// <summary>The safetensors dtype codes we read and write, and their torch types.</summary>
public static class TensorDType
{
    private static readonly Dictionary<string, (ScalarType Type, int Bytes)> ByCode = new()
    {
        ["F64"] = (ScalarType.Float64, 8),
        ["F32"] = (ScalarType.Float32, 4),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2),
        ["I8"] = (ScalarType.Int8, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    };

    public static bool TryParse(string code, out ScalarType type, out int bytes)
    {
        bool known = ByCode.TryGetValue(code, out var entry);
        (type, bytes) = entry;
        return known;
    }

    public static string Code(ScalarType type) =>
        ByCode.FirstOrDefault(kv => kv.Value.Type == type).Key
        ?? throw new NotSupportedException($"dtype {type} has no safetensors code here.");

    public static int ElementSize(ScalarType type) => ByCode[Code(type)].Bytes;
}
