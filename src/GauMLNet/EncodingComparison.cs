namespace GauMLNet.TorchSharp;

/// <summary>How far an encoding is from a reference implementation's (used to validate converted checkpoints).</summary>
public static class EncodingComparison
{
    /// <summary>Largest absolute differences of hidden states and first-token MLM logits; shapes must agree.</summary>
    public static (double Hidden, double Logits) MaxAbsDifference(IReadOnlyList<EncoderOutput> actual,
        IReadOnlyList<float[][]> expectedHidden, IReadOnlyList<float[]> expectedFirstLogits)
    {
        if (actual.Count != expectedHidden.Count)
            throw new InvalidDataException($"the reference's last_hidden_state has {expectedHidden.Count} sequences, the encoding {actual.Count}.");
        if (actual.Count != expectedFirstLogits.Count)
            throw new InvalidDataException($"the reference's mlm_logits_first_token has {expectedFirstLogits.Count} sequences, the encoding {actual.Count}.");
        double hidden = 0, logits = 0;
        for (int b = 0; b < actual.Count; b++)
        {
            if (actual[b].LastHiddenState.Length != expectedHidden[b].Length)
                throw new InvalidDataException($"sequence {b}: the reference has {expectedHidden[b].Length} real tokens, the encoding {actual[b].LastHiddenState.Length}.");
            for (int t = 0; t < expectedHidden[b].Length; t++)
                hidden = Math.Max(hidden, MaxAbs(expectedHidden[b][t], actual[b].LastHiddenState[t], $"sequence {b} token {t}"));
            logits = Math.Max(logits, MaxAbs(expectedFirstLogits[b], actual[b].MlmLogitsFirstToken, $"sequence {b} logits"));
        }
        return (hidden, logits);
    }

    private static double MaxAbs(float[] a, float[] b, string where)
    {
        if (a.Length != b.Length) throw new InvalidDataException($"{where}: the reference has {a.Length} values, the encoding {b.Length}.");
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
