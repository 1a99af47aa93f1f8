using System.Text.Json.Serialization;

namespace GauMLNet.Tasks;

/// <summary>A key column's values as text plus their ML.NET item type (text, single, double, int32, uint32, int64, uint64, boolean).</summary>
public sealed record LabelValues([property: JsonPropertyName("type")] string ItemType, [property: JsonPropertyName("values")] string[] Values)
{
    /// <summary>The name of a class whose value is unknown, as ML.NET names a score slot without one: Class_0, Class_1, …</summary>
    public static string UnnamedClass(int index) => $"Class_{index}";
}
