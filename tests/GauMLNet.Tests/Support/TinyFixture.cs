using System.Text.Json;
using GauMLNet.TorchSharp;

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

    public (double Hidden, double Logits) MaxAbsDifference(IReadOnlyList<EncoderOutput> actual) =>
        EncodingComparison.MaxAbsDifference(actual, ExpectedHidden, ExpectedFirstLogits);
}
