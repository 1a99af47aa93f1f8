namespace GauMLNet.Storage;

/// <summary>The safetensors dtype codes GauMLNet reads and writes, and their element sizes.</summary>
internal static class SafeTensorsDType
{
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8,
        ["F32"] = 4,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I64"] = 8,
        ["I32"] = 4,
        ["I16"] = 2,
        ["I8"] = 1,
        ["U8"] = 1,
        ["BOOL"] = 1,
    };

    public static IEnumerable<string> Codes => ElementSizes.Keys;

    public static bool TryGetElementSize(string code, out int bytes) => ElementSizes.TryGetValue(code, out bytes);
}
