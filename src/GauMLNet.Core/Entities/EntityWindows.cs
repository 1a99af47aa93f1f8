using GauMLNet.Text;
using GauMLNet.Training;

namespace GauMLNet.Entities;

/// <summary>
/// Long sentences are split into overlapping token windows that fit the model, never truncated: each window is
/// encoded as [CLS] tokens [SEP]; at prediction, an entity is kept from the window that owns its first token (the
/// window where that token is farthest from an edge), so the windows' predictions merge back into one sentence.
/// </summary>
internal static class EntityWindows
{
    /// <summary>Windows of at most <paramref name="maxLength"/> - 2 tokens, overlapping by a quarter of that.</summary>
    public static IReadOnlyList<AlignedTextView> Split(AlignedText text, int maxLength)
    {
        int size = maxLength - 2;
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "MaxLength must leave room for [CLS] and [SEP].");
        return text.Windows(size, size / 4).Select(w => new AlignedTextView(text, w.Start, w.Count)).ToList();
    }

    public static EncodedText Encode(AlignedTextView window, GauTokenizer vocabulary) =>
        new([vocabulary.ClsId, .. window.Ids, vocabulary.SepId], new int[window.Length + 2], Truncated: false);

    /// <summary>Training rows: every window with the targets of the entities inside it.</summary>
    public static IEnumerable<LabeledExample> Examples(AlignedText text, IReadOnlyCollection<Entity> entities, BioTags tags, GauTokenizer vocabulary, int maxLength)
    {
        foreach (var window in Split(text, maxLength))
        {
            var inside = entities.Where(window.Contains).ToList();
            var spans = inside.Select(e => { var (first, last) = window.TokenRange(e); return (first, last, tags.IndexOf(e.Type)); }).ToArray();
            yield return new LabeledExample(Encode(window, vocabulary), 0, new TokenTargets(tags.ToTags(window, inside), spans));
        }
    }

    /// <summary>Keeps each window's entities whose first token that window owns, and merges them in order.</summary>
    public static List<Entity> Merge(IReadOnlyList<AlignedTextView> windows, IReadOnlyList<List<Entity>> predicted)
    {
        var merged = new List<Entity>();
        for (int w = 0; w < windows.Count; w++)
        {
            int from = w == 0 ? 0 : (windows[w - 1].Offset + windows[w - 1].Length + windows[w].Offset) / 2;
            int to = w == windows.Count - 1 ? int.MaxValue : (windows[w].Offset + windows[w].Length + windows[w + 1].Offset) / 2;
            foreach (var entity in predicted[w])
            {
                int first = windows[w].Text.TokenAt(entity.Start);
                if (first >= from && first < to) merged.Add(entity);
            }
        }
        return merged.Distinct().OrderBy(e => e.Start).ThenBy(e => e.End).ThenBy(e => e.Type, StringComparer.Ordinal).ToList();
    }
}
