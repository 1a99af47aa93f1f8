using System.Text.Json;
using System.Text.Json.Nodes;
using GauMLNet.Cli;
using GauMLNet.Cli.Failures;
using GauMLNet.Tests.Support;
using GauMLNet.TorchSharp;

namespace GauMLNet.Tests.Cli;

public class EncodeCommandTests
{
    [Fact]
    public void EncodeReproducesReferenceOutputsThroughTheCommandLine()
    {
        string dir = TestPaths.NewTempDirectory();
        string outputPath = Path.Combine(dir, "out.json");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = GauCli.Run(["encode", "--model", TestPaths.TinyModel, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"),
            "--output", outputPath, "--device", "cpu"], stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        using var doc = JsonDocument.Parse(File.ReadAllText(outputPath));
        var encoded = doc.RootElement.GetProperty("last_hidden_state").EnumerateArray()
            .Zip(doc.RootElement.GetProperty("mlm_logits_first_token").EnumerateArray())
            .Select(p => new EncoderOutput(
                p.First.EnumerateArray().Select(t => t.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray(),
                p.Second.EnumerateArray().Select(v => v.GetSingle()).ToArray()))
            .ToArray();
        var (hidden, logits) = TinyFixture.Load().MaxAbsDifference(encoded);
        Assert.True(hidden < 1e-4 && logits < 1e-4, $"Δ hidden {hidden}, Δ logits {logits}");
    }

    [Fact]
    public void CompareReportsTheDifferenceAndFailsAboveTolerance()
    {
        string dir = TestPaths.NewTempDirectory();
        string[] Args(string tolerance) => ["encode", "--model", TestPaths.TinyModel, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"),
            "--output", Path.Combine(dir, "o.json"), "--compare", Path.Combine(TestPaths.TinyModel, "expected.json"), "--tolerance", tolerance];

        var within = new StringWriter();
        Assert.Equal(0, GauCli.Run(Args("1e-4"), within, new StringWriter()));
        Assert.Contains("(within 0.0001)", within.ToString());

        var above = new StringWriter();
        Assert.Equal(2, GauCli.Run(Args("1e-12"), above, new StringWriter()));
        Assert.Contains("ABOVE tolerance", above.ToString());
    }

    [Fact]
    public void MissingCheckpointIsAClearErrorNotACrash()
    {
        string dir = TestPaths.NewTempDirectory();
        var stderr = new StringWriter();
        int code = GauCli.Run(["encode", "--model", Path.Combine(dir, "nope"), "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"),
            "--output", Path.Combine(dir, "o.json")], new StringWriter(), stderr);
        Assert.Equal(ExitCodes.DataError, code);
        Assert.Contains("config.json is missing", stderr.ToString());
        Assert.False(File.Exists(Path.Combine(dir, "o.json")));
    }

    [Fact]
    public void MalformedInputNamesTheFile()
    {
        string dir = TestPaths.NewTempDirectory();
        string input = Path.Combine(dir, "bad.json");
        File.WriteAllText(input, "{\"input_ids\": [[1, 2], [3]]}");
        var stderr = new StringWriter();
        int code = GauCli.Run(["encode", "--model", TestPaths.TinyModel, "--input", input, "--output", Path.Combine(dir, "o.json")],
            new StringWriter(), stderr);
        Assert.Equal(ExitCodes.DataError, code);
        Assert.Contains("bad.json: input_ids[1] has 1 entries", stderr.ToString());
    }

    // A reference with a key missing, null, of the wrong type or shape: each is a data error naming the file and the key,
    // read before the model runs, and no output is written. (Issue #30: a missing mlm_logits_first_token was a NullReferenceException.)
    [Theory]
    [InlineData("drop:mlm_logits_first_token", "the key 'mlm_logits_first_token' is missing")]
    [InlineData("drop:last_hidden_state", "the key 'last_hidden_state' is missing")]
    [InlineData("null:mlm_logits_first_token", "'mlm_logits_first_token' is null")]
    [InlineData("null:last_hidden_state", "'last_hidden_state' is null")]
    [InlineData("set:last_hidden_state=[null, null, null]", "'last_hidden_state[0]' must be an array, found null")]
    [InlineData("set:last_hidden_state=[[null], [], []]", "'last_hidden_state[0][0]' must be an array, found null")]
    [InlineData("set:last_hidden_state=[[[\"x\"]], [], []]", "'last_hidden_state[0][0][0]' must be a finite number, found a string")]
    [InlineData("set:mlm_logits_first_token=[[1e39], [], []]", "'mlm_logits_first_token[0][0]' must be a finite number, found 1e39")]
    [InlineData("set:mlm_logits_first_token={}", "'mlm_logits_first_token' must be an array, found an object")]
    [InlineData("set:mlm_logits_first_token=[[1], [2]]", "'last_hidden_state' has 3 sequences but 'mlm_logits_first_token' has 2")]
    [InlineData("batch:2", "the reference's last_hidden_state has 2 sequences, the encoding 3")]
    [InlineData("ragged-tokens", "sequence 1: the reference has 2 real tokens")]
    [InlineData("ragged-hidden", "sequence 0 token 0: the reference has 1 values")]
    [InlineData("ragged-logits", "sequence 2 logits: the reference has 1 values")]
    [InlineData("raw:[1, 2]", "expected a JSON object, found an array")]
    [InlineData("raw:", "not a valid reference output")]
    [InlineData("raw:{\"last_hidden_state\": [[[1", "not a valid reference output")]
    public void ADamagedReferenceNamesTheFileAndTheKey(string damage, string expected)
    {
        string dir = TestPaths.NewTempDirectory();
        string reference = Path.Combine(dir, "ref.json");
        File.WriteAllText(reference, Damage(File.ReadAllText(Path.Combine(TestPaths.TinyModel, "expected.json")), damage));
        var stderr = new StringWriter();

        int code = GauCli.Run(["encode", "--model", TestPaths.TinyModel, "--input", Path.Combine(TestPaths.TinyModel, "inputs.json"),
            "--output", Path.Combine(dir, "o.json"), "--compare", reference], new StringWriter(), stderr);

        Assert.True(code == ExitCodes.DataError, $"exit {code}: {stderr}");
        Assert.Contains($"{reference}: ", stderr.ToString());
        Assert.Contains(expected, stderr.ToString());
        Assert.DoesNotContain("internal error", stderr.ToString());
        Assert.Equal(damage.StartsWith("ragged", StringComparison.Ordinal) || damage.StartsWith("batch", StringComparison.Ordinal), File.Exists(Path.Combine(dir, "o.json")));
    }

    [Theory]
    [InlineData("drop:input_ids", "the key 'input_ids' is missing")]
    [InlineData("null:input_ids", "'input_ids' is null")]
    [InlineData("set:input_ids=[null, null, null]", "'input_ids[0]' must be an array, found null")]
    [InlineData("set:input_ids=[[1.5]]", "'input_ids[0][0]' must be an integer, found 1.5")]
    [InlineData("set:input_ids=[[1e30]]", "'input_ids[0][0]' must be an integer, found 1e30")]
    [InlineData("set:input_ids=[[true]]", "'input_ids[0][0]' must be an integer, found a boolean")]
    [InlineData("set:input_ids=[]", "input_ids is empty")]
    [InlineData("set:input_ids=[[]]", "input_ids rows are empty")]
    [InlineData("raw:{\"input_ids\": [[1, 99999]]}", "input_ids[0] holds 99999, outside the vocabulary")]
    [InlineData("set:token_type_ids=[[0]]", "token_type_ids has 1 rows but input_ids has 3")]
    [InlineData("set:token_type_ids=\"0\"", "'token_type_ids' must be an array, found a string")]
    [InlineData("set:attention_mask=[[1], [1], [1]]", "attention_mask[0] has 1 entries")]
    [InlineData("set:attention_mask=[[1], null, [1]]", "'attention_mask[1]' must be an array, found null")]
    [InlineData("raw:\"input_ids\"", "expected a JSON object, found a string")]
    [InlineData("raw:{\"input_ids\": [[1, 2]", "not a valid encode input")]
    public void ADamagedInputNamesTheFileAndTheKey(string damage, string expected)
    {
        string dir = TestPaths.NewTempDirectory();
        string input = Path.Combine(dir, "in.json");
        File.WriteAllText(input, Damage(File.ReadAllText(Path.Combine(TestPaths.TinyModel, "inputs.json")), damage));
        var stderr = new StringWriter();

        int code = GauCli.Run(["encode", "--model", TestPaths.TinyModel, "--input", input, "--output", Path.Combine(dir, "o.json")], new StringWriter(), stderr);

        Assert.True(code == ExitCodes.DataError, $"exit {code}: {stderr}");
        Assert.Contains($"{input}: ", stderr.ToString());
        Assert.Contains(expected, stderr.ToString());
        Assert.DoesNotContain("internal error", stderr.ToString());
        Assert.False(File.Exists(Path.Combine(dir, "o.json")));
    }

    [Fact]
    public void MissingTokenTypesAndMaskAreDocumentedDefaults()
    {
        // token_type_ids absent = all zeros, attention_mask null = every token real: the same encoding as writing them out.
        string dir = TestPaths.NewTempDirectory();
        var explicitInput = new JsonObject { ["input_ids"] = new JsonArray(new JsonArray(5, 6, 7)), ["token_type_ids"] = new JsonArray(new JsonArray(0, 0, 0)), ["attention_mask"] = new JsonArray(new JsonArray(1, 1, 1)) };
        var defaulted = new JsonObject { ["input_ids"] = new JsonArray(new JsonArray(5, 6, 7)), ["attention_mask"] = null };
        File.WriteAllText(Path.Combine(dir, "a.json"), explicitInput.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "b.json"), defaulted.ToJsonString());
        foreach (string name in new[] { "a", "b" })
            Assert.Equal(0, GauCli.Run(["encode", "--model", TestPaths.TinyModel, "--input", Path.Combine(dir, name + ".json"), "--output", Path.Combine(dir, name + ".out.json")], new StringWriter(), new StringWriter()));
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "a.out.json")), File.ReadAllText(Path.Combine(dir, "b.out.json")));
    }

    /// <summary>
    /// One damage to a JSON fixture: drop:KEY, null:KEY, set:KEY=JSON, batch:N (keep the first N sequences of both keys),
    /// ragged-tokens / ragged-hidden / ragged-logits (cut one sequence, token or logit row to a wrong length), raw:TEXT (the whole file).
    /// </summary>
    private static string Damage(string json, string damage)
    {
        if (damage.StartsWith("raw:", StringComparison.Ordinal)) return damage[4..];
        var root = JsonNode.Parse(json)!.AsObject();
        var hidden = root["last_hidden_state"]?.AsArray();
        var logits = root["mlm_logits_first_token"]?.AsArray();
        string[] kv = damage.Split(':', 2);
        switch (kv[0])
        {
            case "drop": root.Remove(kv[1]); break;
            case "null": root[kv[1]] = null; break;
            case "set":
                string[] set = kv[1].Split('=', 2);
                root[set[0]] = JsonNode.Parse(set[1]);
                break;
            case "batch":
                int n = int.Parse(kv[1], System.Globalization.CultureInfo.InvariantCulture);
                while (hidden!.Count > n) { hidden.RemoveAt(hidden.Count - 1); logits!.RemoveAt(logits.Count - 1); }
                break;
            case "ragged-tokens": hidden![1] = new JsonArray(hidden[1]![0]!.DeepClone(), hidden[1]![1]!.DeepClone()); break;
            case "ragged-hidden": hidden![0]![0] = new JsonArray(0.5f); break;
            case "ragged-logits": logits![2] = new JsonArray(0.5f); break;
            default: throw new ArgumentException(damage);
        }
        return root.ToJsonString();
    }
}
