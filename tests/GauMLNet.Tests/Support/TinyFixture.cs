using System.Text.Json;

namespace GauMLNet.Tests.Support;

/// <summary>The tiny GAU-α written by an independent PyTorch implementation: inputs and expected outputs.</summary>
public sealed record TinyFixture(long[][] InputIds, long[][] TokenTypeIds, long[][] AttentionMask,
    float[][][] ExpectedHidden, float[][] ExpectedFirstLogits)
{
    public static TinyFixture Load()
    {
        using var inputs = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.TinyModel, "inputs.json")));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.TinyModel, "expected.json")));
        long[][] Rows(string key) => inputs.RootElement.GetProperty(key).EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var hidden = expected.RootElement.GetProperty("last_hidden_state").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(t => t.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray()).ToArray();
        var logits = expected.RootElement.GetProperty("mlm_logits_first_token").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        return new TinyFixture(Rows("input_ids"), Rows("token_type_ids"), Rows("attention_mask"), hidden, logits);
    }

    /// <summary>Largest absolute difference between an encoding and the expected outputs (hidden, logits).</summary>
    public (double Hidden, double Logits) MaxAbsDifference(IReadOnlyList<EncodedSequence> actual)
    {
        Assert.Equal(ExpectedHidden.Length, actual.Count);
        double hidden = 0, logits = 0;
        for (int b = 0; b < actual.Count; b++)
        {
            Assert.Equal(ExpectedHidden[b].Length, actual[b].LastHiddenState.Length);
            for (int t = 0; t < ExpectedHidden[b].Length; t++)
                hidden = Math.Max(hidden, MaxAbs(ExpectedHidden[b][t], actual[b].LastHiddenState[t]));
            logits = Math.Max(logits, MaxAbs(ExpectedFirstLogits[b], actual[b].MlmLogitsFirstToken));
        }
        return (hidden, logits);
    }

    private static double MaxAbs(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
