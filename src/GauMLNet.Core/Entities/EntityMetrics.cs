namespace GauMLNet.Entities;

/// <summary>Exact-match scores of one entity type: a predicted entity counts only with the gold type, start and end.</summary>
public sealed record EntityTypeScore(string Type, int Gold, int Predicted, int Correct)
{
    public double Precision => Predicted == 0 ? 0 : (double)Correct / Predicted;
    public double Recall => Gold == 0 ? 0 : (double)Correct / Gold;
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
}

/// <summary>
/// Entity-level scores over every sentence: micro precision, recall and F1 (all entities pooled), macro F1 (the mean
/// over types that occur in the gold or the predictions), and the per-type table.
/// </summary>
public sealed record EntityMetrics(int Sentences, double MicroPrecision, double MicroRecall, double MicroF1, double MacroF1, IReadOnlyList<EntityTypeScore> PerType)
{
    public static EntityMetrics Evaluate(IReadOnlyList<IReadOnlyCollection<Entity>> gold, IReadOnlyList<IReadOnlyCollection<Entity>> predicted)
    {
        if (gold.Count != predicted.Count)
            throw new ArgumentException($"{gold.Count} gold sentences but {predicted.Count} predicted ones; every sentence must be scored.");
        var counts = new SortedDictionary<string, (int Gold, int Predicted, int Correct)>(StringComparer.Ordinal);
        for (int s = 0; s < gold.Count; s++)
        {
            var truth = gold[s].ToHashSet();
            foreach (var e in truth) counts[e.Type] = counts.GetValueOrDefault(e.Type) with { Gold = counts.GetValueOrDefault(e.Type).Gold + 1 };
            foreach (var e in predicted[s].Distinct())
            {
                var c = counts.GetValueOrDefault(e.Type);
                counts[e.Type] = c with { Predicted = c.Predicted + 1, Correct = c.Correct + (truth.Contains(e) ? 1 : 0) };
            }
        }
        var perType = counts.Select(kv => new EntityTypeScore(kv.Key, kv.Value.Gold, kv.Value.Predicted, kv.Value.Correct)).ToList();
        int goldAll = perType.Sum(t => t.Gold), predictedAll = perType.Sum(t => t.Predicted), correctAll = perType.Sum(t => t.Correct);
        double p = predictedAll == 0 ? 0 : (double)correctAll / predictedAll, r = goldAll == 0 ? 0 : (double)correctAll / goldAll;
        return new EntityMetrics(gold.Count, p, r, p + r == 0 ? 0 : 2 * p * r / (p + r), perType.Count == 0 ? 0 : perType.Average(t => t.F1), perType);
    }
}
