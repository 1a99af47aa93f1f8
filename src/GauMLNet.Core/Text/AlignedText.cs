namespace GauMLNet.Text;

/// <summary>
/// A text tokenized so that character offsets survive: token i covers characters [CharStarts[i], CharStarts[i] +
/// CharLengths[i]) of <see cref="Text"/>. No special tokens; whitespace has no token.
/// </summary>
public sealed record AlignedText(string Text, int[] Ids, int[] CharStarts, int[] CharLengths)
{
    public int Length => Ids.Length;

    /// <summary>The index of the token covering character <paramref name="position"/>, or -1 when none does (whitespace).</summary>
    public int TokenAt(int position)
    {
        int i = Array.BinarySearch(CharStarts, position);
        if (i >= 0) return i;
        i = ~i - 1;
        return i >= 0 && position < CharStarts[i] + CharLengths[i] ? i : -1;
    }

    /// <summary>
    /// Token windows [Start, Start + Count) of at most <paramref name="size"/> tokens covering the text; consecutive
    /// windows overlap by <paramref name="overlap"/> tokens so that every token also appears away from a window's edge.
    /// </summary>
    public IReadOnlyList<(int Start, int Count)> Windows(int size, int overlap)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "A window holds at least one token.");
        overlap = Math.Clamp(overlap, 0, size / 2);
        if (Length <= size) return [(0, Length)];
        var windows = new List<(int, int)>();
        for (int start = 0; ; start += size - overlap)
        {
            int count = Math.Min(size, Length - start);
            windows.Add((start, count));
            if (start + count >= Length) break;
        }
        return windows;
    }
}
