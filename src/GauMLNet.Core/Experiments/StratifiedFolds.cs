namespace GauMLNet.Experiments;

/// <summary>
/// k folds that hold every label in the same proportion as the whole: each label's rows, shuffled by the seed, are dealt
/// to the folds in turn, and the dealing runs on across labels so the folds' sizes differ by at most one row.
/// </summary>
public static class StratifiedFolds
{
    /// <summary>The fold (0 … <paramref name="folds"/> − 1) of each row, by its label.</summary>
    public static int[] Assign(IReadOnlyList<string> labels, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        if (labels.Count < folds)
            throw new ArgumentException($"{labels.Count} labelled rows cannot fill {folds} folds: give more rows or fewer folds.", nameof(labels));
        var fold = new int[labels.Count];
        var random = new Random(seed);
        int dealt = 0;
        var byLabel = labels.Select((label, row) => (label, row)).GroupBy(p => p.label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in byLabel)
        {
            int[] rows = group.Select(p => p.row).ToArray();
            random.Shuffle(rows);
            foreach (int row in rows) fold[row] = dealt++ % folds;
        }
        return fold;
    }
}
