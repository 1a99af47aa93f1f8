using System.Text;
using System.Text.Json.Nodes;
using GauMLNet.Clue;
using GauMLNet.Tests.Support;
using Xunit.Abstractions;

namespace GauMLNet.Tests.Faults;

/// <summary>
/// Issue #12 7b: CLUE JSON-lines files of every task on seeded corruptions: each file loads or fails with a
/// <see cref="ClueFormatException"/> naming the line (or another documented exception).
/// </summary>
public sealed class ClueCorruptionTests(ITestOutputHelper output)
{
    /// <summary>Two valid lines of each task.</summary>
    internal static readonly Dictionary<string, string[]> Lines = new()
    {
        ["afqmc"] = ["""{"sentence1": "花呗怎么还款", "sentence2": "花呗如何还钱", "label": "1", "id": 1}""", """{"sentence1": "借呗额度", "sentence2": "蚂蚁借呗", "label": "0", "id": 2}"""],
        ["tnews"] = ["""{"label": "102", "label_desc": "news_entertainment", "sentence": "电影上映", "keywords": "", "id": 3}""", """{"label": 103, "sentence": "球赛", "id": 4}"""],
        ["ocnli"] = ["""{"sentence1": "他来了", "sentence2": "他到了", "label": "entailment", "id": 7}""", """{"sentence1": "a", "sentence2": "b", "label": "-", "id": 8}"""],
        ["csl"] = ["""{"id": 1, "abst": "本文研究图像分割。", "keyword": ["图像", "分割"], "label": "1"}""", """{"id": 2, "abst": "摘要", "keyword": [], "label": "0"}"""],
        ["cluewsc"] =
        [
            """{"target": {"span2_index": 6, "span1_index": 0, "span1_text": "小明", "span2_text": "他"}, "idx": 4, "label": "true", "text": "小明很高兴，他赢了。"}""",
            """{"target": {"span2_index": 3, "span1_index": 0, "span1_text": "猫", "span2_text": "它"}, "idx": 5, "label": "false", "text": "猫说它饿了"}""",
        ],
        ["eprstmt"] = ["""{"id": 1, "sentence": "很好", "label": "Positive"}""", """{"id": 2, "sentence": "很差", "label": "Negative"}"""],
        ["csldcp"] = ["""{"content": "一篇论文", "label": "材料科学与工程", "idx": 1}""", """{"content": "另一篇", "label": "力学", "idx": 2}"""],
    };

    internal const string WscSpanOverflow =
        """{"target": {"span1_index": 2147483647, "span1_text": "明", "span2_index": 0, "span2_text": "小"}, "idx": 1, "label": "true", "text": "小明"}""";

    [Fact]
    public void AWscSpanIndexNearIntMaxValueIsAClueFormatException()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "train.json");
        File.WriteAllText(path, WscSpanOverflow + "\n");
        var ex = Assert.Throws<ClueFormatException>(() => ClueDataReader.Read(path, ClueTask.Get("cluewsc"), requireLabels: true));
        Assert.Equal(1, ex.Line);
    }

    [Fact]
    public void OverlappingWscSpansAndDuplicateFieldsAreClueFormatExceptions()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "train.json");
        File.WriteAllText(path, """{"target": {"span1_index": 0, "span1_text": "小明", "span2_index": 0, "span2_text": "小"}, "idx": 1, "label": "true", "text": "小明很高兴"}""" + "\n");
        Assert.Contains("overlap", Assert.Throws<ClueFormatException>(() => ClueDataReader.Read(path, ClueTask.Get("cluewsc"), requireLabels: true)).Message);
        File.WriteAllText(path, """{"sentence": "好", "sentence": "坏", "label": "Positive", "id": 1}""" + "\n");
        Assert.Contains("field 'sentence' appears 2 times", Assert.Throws<ClueFormatException>(() => ClueDataReader.Read(path, ClueTask.Get("eprstmt"), requireLabels: true)).Message);
    }

    private static IEnumerable<Mutant> JsonMutants(string task, int seed, int count)
    {
        var random = new Random(seed);
        JsonNode?[] hostile =
        [
            null, -1, 0, int.MaxValue, int.MinValue, long.MaxValue, 1e300, 1.5, "", "x", true, new JsonArray(), new JsonObject(),
            new JsonArray(1, null, "a"), new JsonObject { ["a"] = 1 }, new string('长', 5000),
        ];
        var lines = Lines[task];
        for (int i = 0; i < count; i++)
        {
            int which = random.Next(lines.Length);
            var row = JsonNode.Parse(lines[which])!.AsObject();
            JsonObject target = row;
            if (row["target"] is JsonObject nested && random.Next(2) == 0) target = nested;
            var keys = target.Select(kv => kv.Key).ToList();
            string key = keys[random.Next(keys.Count)];
            string what, line;
            switch (random.Next(4))
            {
                case 0:
                    target.Remove(key);
                    what = $"'{key}' removed";
                    line = row.ToJsonString();
                    break;
                case 1:
                    {
                        var value = hostile[random.Next(hostile.Length)]?.DeepClone();
                        what = $"'{key}' duplicated as {value?.ToJsonString() ?? "null"}";
                        line = row.ToJsonString().Replace($"\"{key}\":", $"\"{key}\":{value?.ToJsonString() ?? "null"},\"{key}\":");
                        break;
                    }
                default:
                    target[key] = hostile[random.Next(hostile.Length)]?.DeepClone();
                    what = $"'{key}' = {target[key]?.ToJsonString() ?? "null"}";
                    line = row.ToJsonString();
                    break;
            }
            var file = lines.Select((l, j) => j == which ? line : l);
            yield return new Mutant($"seed {seed}, {task} {i}: line {which + 1} {what}", Encoding.UTF8.GetBytes(string.Join("\n", file) + "\n"));
        }
    }

    [Fact]
    public void ClueJsonLinesOfEveryTaskLoadOrFailWithTheLine()
    {
        var battery = new CorruptionBattery("CLUE JSON lines", output);
        string path = Path.Combine(TestPaths.NewTempDirectory(), "train.json");
        int seed = 1320, done = 0;
        foreach (var (name, lines) in Lines)
        {
            var task = ClueTask.Get(name);
            void Load(byte[] b)
            {
                File.WriteAllBytes(path, b);
                ClueDataReader.Read(path, task, requireLabels: true);
                ClueDataReader.Read(path, task, requireLabels: false, skipBadLines: true);
            }
            // Each task's share of the time budget ends at a later point of the battery's clock.
            var budget = TimeSpan.FromSeconds(1.1 * ++done);
            byte[] original = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
            var quotes = Enumerable.Range(0, original.Length).Where(i => original[i] is (byte)'"' or (byte)':' or (byte)'{').ToList();
            battery.Run(original, seed++, iterations: 150, budget * 0.6, Load, quotes);
            foreach (var m in JsonMutants(name, seed++, 100).TakeWhile(_ => battery.Within(budget))) battery.Check(m.Description, m.Bytes, Load);
            battery.Check($"{name}: nested 100000 deep", Encoding.UTF8.GetBytes(new string('[', 100000)), Load);
        }
        battery.Check("cluewsc: span index int.MaxValue", Encoding.UTF8.GetBytes(WscSpanOverflow), b =>
        {
            File.WriteAllBytes(path, b);
            ClueDataReader.Read(path, ClueTask.Get("cluewsc"), requireLabels: true);
        });
        foreach (var m in FuzzRegressions.Inputs("clue"))
            battery.Check(m.Description, m.Bytes, b =>
            {
                File.WriteAllBytes(path, b);
                foreach (var task in ClueTask.All.Values) ClueDataReader.Read(path, task, requireLabels: false, skipBadLines: true);
            });
        battery.AssertContract();
    }
}
