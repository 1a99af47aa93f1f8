namespace GauMLNet.Experiments;

/// <summary>Proposes the next trial from what has been tried (higher metric = better).</summary>
public interface ITuner
{
    TrialParameters Propose(SearchSpace space, IReadOnlyList<TrialResult> history, Random random);
}

/// <summary>Independent random draws.</summary>
public sealed class RandomTuner : ITuner
{
    public TrialParameters Propose(SearchSpace space, IReadOnlyList<TrialResult> history, Random random) => space.Sample(random);
}

/// <summary>
/// Tree-structured Parzen estimator (Bergstra et al. 2011), per parameter on the unit scale: after a few
/// random trials, split finished trials into the best γ and the rest, draw candidates around the good
/// ones, and keep the candidate with the highest ratio of good-density to bad-density.
/// </summary>
public sealed class TreeParzenTuner(int randomStartup = 5, double gamma = 0.25, int candidates = 24) : ITuner
{
    public TrialParameters Propose(SearchSpace space, IReadOnlyList<TrialResult> history, Random random)
    {
        var finished = history.Where(h => h.Metric is not null).OrderByDescending(h => h.Metric).ToList();
        if (finished.Count < randomStartup) return space.Sample(random);
        int goodCount = Math.Max(1, (int)Math.Ceiling(gamma * finished.Count));
        var good = finished.Take(goodCount).ToList();
        var bad = finished.Skip(goodCount).ToList();
        double bandwidth = Math.Max(0.05, 0.5 / Math.Sqrt(finished.Count));

        TrialParameters? best = null;
        double bestScore = double.NegativeInfinity;
        for (int c = 0; c < candidates; c++)
        {
            var anchor = good[random.Next(good.Count)];
            var values = new Dictionary<string, object>();
            double score = 0;
            foreach (var (name, range) in space.Ranges)
            {
                double center = anchor.Parameters.Values.TryGetValue(name, out var v) ? range.ToUnit(v) : random.NextDouble();
                double unit = Math.Clamp(center + bandwidth * Gaussian(random), 0, 1);
                var value = range.FromUnit(unit);
                values[name] = value;
                double u = range.ToUnit(value);
                score += Math.Log(Density(u, good, name, range, bandwidth)) - Math.Log(Density(u, bad, name, range, bandwidth));
            }
            if (score > bestScore) { bestScore = score; best = new TrialParameters(values); }
        }
        return best!;
    }

    private static double Density(double u, List<TrialResult> trials, string name, ParameterRange range, double bandwidth)
    {
        double sum = 1.0; // a uniform prior keeps the ratio finite
        foreach (var t in trials)
            if (t.Parameters.Values.TryGetValue(name, out var v))
            {
                double z = (u - range.ToUnit(v)) / bandwidth;
                sum += Math.Exp(-0.5 * z * z) / bandwidth;
            }
        return sum / (trials.Count + 1);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
