namespace GauMLNet.Text;

/// <summary>One tokenized input: [CLS] a [SEP] (b [SEP]) with its segment ids; Truncated when text was cut to fit.</summary>
public sealed record EncodedText(int[] Ids, int[] TypeIds, bool Truncated)
{
    public int Length => Ids.Length;
}
