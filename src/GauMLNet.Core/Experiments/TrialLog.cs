using System.Text.Json;

namespace GauMLNet.Experiments;

/// <summary>
/// Reads back an experiment's trial log (JSON lines) to resume it. A sweep resumes from the log its output folder holds, so a
/// damaged or hand-edited log is user input: every record must be a JSON object whose parameters are exactly the search
/// space's, each of its range's type and inside it, with finite numbers. Anything else is an <see cref="InvalidDataException"/>
/// naming the file, line and key, never a failure inside a tuner later.
/// </summary>
internal static class TrialLog
{
    public static List<TrialResult> Read(string path, SearchSpace space, JsonSerializerOptions json)
    {
        var trials = new List<TrialResult>();
        int number = 0;
        foreach (string line in Storage.TextFiles.ReadAllLines(path))
        {
            number++;
            if (line.Length == 0) continue;
            LoggedTrial record;
            try { record = JsonSerializer.Deserialize<LoggedTrial>(line, json) ?? throw new JsonException("the record is null"); }
            catch (JsonException ex) { throw new InvalidDataException($"{path}:{number}: not a trial record ({ex.Message}).", ex); }
            string Where(string key) => $"{path}:{number}: '{key}'";
            if (record.Parameters is null) throw new InvalidDataException($"{Where("Parameters")} is missing.");
            if (!Enum.IsDefined(record.Status)) throw new InvalidDataException($"{Where("Status")} is {(int)record.Status}, not a trial status.");
            if (record.Metric is { } metric && !double.IsFinite(metric)) throw new InvalidDataException($"{Where("Metric")} is not a finite number.");
            if (record.EpochMetrics?.Any(m => !double.IsFinite(m)) == true) throw new InvalidDataException($"{Where("EpochMetrics")} holds a number that is not finite.");
            var values = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var (name, range) in space.Ranges)
            {
                if (!record.Parameters.TryGetValue(name, out var value))
                    throw new InvalidDataException($"{Where("Parameters")} has no '{name}'; the search space's parameters are {string.Join(", ", space.Ranges.Keys)}.");
                values[name] = Value(range, value) ?? throw new InvalidDataException($"{Where("Parameters." + name)} is {value.GetRawText()}, not a value of {range}.");
            }
            if (record.Parameters.Keys.FirstOrDefault(k => !space.Ranges.ContainsKey(k)) is { } extra)
                throw new InvalidDataException($"{Where("Parameters." + extra)} is not a parameter of the search space; was the log written by another sweep?");
            trials.Add(new TrialResult(record.Id, new TrialParameters(values), record.Metric, record.Seconds, record.Status, record.EpochMetrics ?? [], record.Error));
        }
        return trials;
    }

    /// <summary>The logged value as the range's type, or null when it is not one of the range's values.</summary>
    private static object? Value(ParameterRange range, JsonElement value) => range switch
    {
        IntRange r => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int i) && i >= r.Min && i <= r.Max ? i : null,
        Choice c => value.ValueKind == JsonValueKind.String && c.Values.Contains(value.GetString(), StringComparer.Ordinal) ? value.GetString()! : null,
        LogUniform r => Number(value) is double d && d >= r.Min && d <= r.Max ? d : null,
        Uniform r => Number(value) is double d && d >= r.Min && d <= r.Max ? d : null,
        _ => value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => Number(value),
            _ => null,
        },
    };

    private static double? Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double d) && double.IsFinite(d) ? d : null;

    /// <summary>The log's shape: parameter values as JSON scalars.</summary>
    internal sealed record LoggedTrial(int Id, Dictionary<string, JsonElement>? Parameters, double? Metric, double Seconds, TrialStatus Status,
        List<double>? EpochMetrics, string? Error)
    {
        public static LoggedTrial From(TrialResult r) => new(r.Id,
            r.Parameters.Values.ToDictionary(kv => kv.Key, kv => JsonSerializer.SerializeToElement(kv.Value)), r.Metric, r.Seconds, r.Status, [.. r.EpochMetrics], r.Error);
    }
}
