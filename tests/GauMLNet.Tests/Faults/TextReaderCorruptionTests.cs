using System.Text;
using System.Text.Json.Nodes;
using GauMLNet.Tests.Support;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Faults;

/// <summary>
/// Issue #30: the JSON and text files the CLI and the libraries read back (gau encode's input and reference, config.json,
/// gau-task.json, gaumlnet.json, vocab.txt, CSV/TSV/JSON-lines data, CLUENER, a pretraining corpus, a sweep's trial log) on
/// seeded corruptions: bytes (<see cref="Mutator"/>) and JSON structure (a key removed, a value made null or hostile, an
/// array shortened or given a wrong element). Each input loads or fails with a documented exception naming the file.
/// The same targets run under AFL and --soak in tests/GauMLNet.Fuzz.
/// </summary>
public sealed class TextReaderCorruptionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(2.5);

    public static TheoryData<string> Targets() => [.. NewTargets().All().Select(t => t.Name)];

    private static TextReaderTargets NewTargets() => new(TestPaths.Fixture(""), TestPaths.NewTempDirectory());

    [Theory]
    [MemberData(nameof(Targets))]
    public void AReaderLoadsOrRefusesEveryCorruption(string name)
    {
        var target = NewTargets().All().Single(t => t.Name == name);
        var battery = new CorruptionBattery(name, output);
        int seed = 300;
        foreach (var (seedName, bytes) in target.Seeds())
        {
            battery.Check($"seed input {seedName}", bytes, target.Load); // the seeds themselves load
            var structural = new JsonMutator(bytes, target.Options, seed);
            for (int i = 0; i < 400 && structural.CanMutate && battery.Within(Cap / 2); i++)
            {
                var m = structural.Next();
                battery.Check($"{seedName}, seed {seed}, JSON mutation {i}: {m.Description}", m.Bytes, target.Load);
            }
            battery.Run(bytes, seed++, iterations: 400, Cap, target.Load);
        }
        foreach (var regression in FuzzRegressions.Inputs(name)) battery.Check(regression.Description, regression.Bytes, target.Load);
        battery.AssertContract();
    }

    /// <summary>
    /// Seeded structural damage to a JSON document or JSON-lines file (after <paramref name="options"/> leading option bytes):
    /// one node of one line is removed, made null, replaced by a hostile value or a value of another type.
    /// </summary>
    private sealed class JsonMutator(byte[] original, int options, int seed)
    {
        private readonly Random _random = new(seed);
        private readonly string[] _lines = Encoding.UTF8.GetString(original[options..]).Split('\n');
        private readonly List<int> _json = [];

        private static readonly Func<JsonNode?>[] Hostile =
        [
            () => null, () => -1, () => 0, () => int.MaxValue, () => int.MinValue, () => long.MaxValue, () => 1e300, () => -1e-300, () => 1.5,
            () => "", () => "x", () => true, () => new JsonArray(), () => new JsonObject(), () => new JsonArray(1, null, "a"),
            () => new JsonArray(new JsonArray(), null), () => new JsonObject { ["a"] = 1 }, () => new string('长', 3000),
        ];

        public bool CanMutate
        {
            get
            {
                if (_json.Count == 0)
                    for (int i = 0; i < _lines.Length; i++)
                        if (TryParse(_lines[i]) is JsonObject or JsonArray) _json.Add(i);
                return _json.Count > 0;
            }
        }

        private static JsonNode? TryParse(string text)
        {
            try { return JsonNode.Parse(text); }
            catch (System.Text.Json.JsonException) { return null; }
        }

        public Mutant Next()
        {
            int line = _json[_random.Next(_json.Count)];
            var root = JsonNode.Parse(_lines[line])!;
            var nodes = new List<JsonNode>();
            void Walk(JsonNode? n)
            {
                if (n is null) return;
                nodes.Add(n);
                if (n is JsonObject o) foreach (var kv in o) Walk(kv.Value);
                else if (n is JsonArray a) foreach (var e in a) Walk(e);
            }
            Walk(root);
            var node = nodes[_random.Next(nodes.Count)];
            string description;
            if (node.Parent is null)
            {
                var replacement = Hostile[_random.Next(Hostile.Length)]();
                description = $"line {line + 1}: the document replaced by {replacement?.ToJsonString() ?? "null"}";
                root = replacement!;
            }
            else if (node.Parent is JsonObject parent && _random.Next(3) == 0)
            {
                string key = node.GetPropertyName();
                parent.Remove(key);
                description = $"line {line + 1}: {node.GetPath()} removed";
            }
            else if (node.Parent is JsonArray array && _random.Next(3) == 0)
            {
                int index = node.GetElementIndex();
                string path = node.GetPath();
                if (_random.Next(2) == 0) { array.RemoveAt(index); description = $"line {line + 1}: {path} removed"; }
                else { array.Add(node.DeepClone()); description = $"line {line + 1}: {path} appended again"; }
            }
            else
            {
                var replacement = Hostile[_random.Next(Hostile.Length)]();
                string path = node.GetPath();
                node.ReplaceWith(replacement);
                description = $"line {line + 1}: {path} = {Short(replacement)}";
            }
            var lines = (string[])_lines.Clone();
            lines[line] = root?.ToJsonString() ?? "null";
            return new Mutant(description, [.. original[..options], .. Encoding.UTF8.GetBytes(string.Join('\n', lines))]);
        }

        private static string Short(JsonNode? node) => node?.ToJsonString() is { } s ? s.Length > 40 ? s[..40] + "…" : s : "null";
    }
}
