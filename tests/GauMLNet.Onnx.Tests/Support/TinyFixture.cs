using System.Text.Json;

namespace GauMLNet.Onnx.Tests.Support;

/// <summary>
/// The tiny GAU-α (3 layers, d 64, softmax_plus, separate MLM decoder) and what an independent PyTorch implementation
/// computed for it: hidden states of each row's real tokens ([rows][length][64], ragged) and MLM logits at position 0.
/// </summary>
public sealed record TinyFixture(long[][] InputIds, long[][] TokenTypeIds, long[][] AttentionMask, int[] Lengths,
    float[][][] ExpectedHidden, float[][] ExpectedFirstLogits)
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "gau-alpha-tiny");

    public static TinyFixture Load()
    {
        using var inputs = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "inputs.json")));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "expected.json")));
        long[][] Rows(string key) => inputs.RootElement.GetProperty(key).EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var hidden = expected.RootElement.GetProperty("last_hidden_state").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(t => t.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray()).ToArray();
        var logits = expected.RootElement.GetProperty("mlm_logits_first_token").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        int[] lengths = inputs.RootElement.GetProperty("lengths").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        return new TinyFixture(Rows("input_ids"), Rows("token_type_ids"), Rows("attention_mask"), lengths, hidden, logits);
    }

    /// <summary>Max |Δ| of the real tokens' hidden states and of position 0's MLM logits against the fixture.</summary>
    public (double Hidden, double Logits) MaxAbsDifference(OnnxRunner.Tensor hidden, OnnxRunner.Tensor mlmLogits)
    {
        int n = (int)hidden.Shape[1], d = (int)hidden.Shape[2], vocab = (int)mlmLogits.Shape[2];
        double dh = 0, dl = 0;
        for (int b = 0; b < Lengths.Length; b++)
        {
            if (ExpectedHidden[b].Length != Lengths[b]) throw new InvalidDataException("expected.json: hidden rows do not match lengths.");
            for (int t = 0; t < Lengths[b]; t++)
                for (int j = 0; j < d; j++)
                    dh = Math.Max(dh, Math.Abs(hidden.Values[(b * n + t) * d + j] - ExpectedHidden[b][t][j]));
            for (int j = 0; j < vocab; j++)
                dl = Math.Max(dl, Math.Abs(mlmLogits.Values[b * n * vocab + j] - ExpectedFirstLogits[b][j]));
        }
        return (dh, dl);
    }
}
