using System.Text.Json.Serialization;

namespace GauMLNet.Tasks;

/// <summary>A key column's values as text plus their ML.NET item type (text, single, double, int32, uint32, int64, uint64, boolean).</summary>
public sealed record LabelValues([property: JsonPropertyName("type")] string ItemType, [property: JsonPropertyName("values")] string[] Values);
