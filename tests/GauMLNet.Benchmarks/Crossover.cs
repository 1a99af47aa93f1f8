namespace GauMLNet.Benchmarks;

/// <summary>Where a GAU/Transformer ratio falls below 1 and stays there, from ratios measured at increasing n.</summary>
internal static class Crossover
{
    /// <summary>
    /// Describes the crossover: the shortest measured length from which every ratio is below 1, and an
    /// estimate interpolated linearly in log n between it and the measured length before.
    /// </summary>
    public static string Find(IReadOnlyList<(int N, double Ratio)> points)
    {
        if (points.Count == 0) throw new ArgumentException("No measurements.", nameof(points));
        int first = points.Count;
        while (first > 0 && points[first - 1].Ratio < 1) first--;
        if (first == points.Count) return $"none up to n = {points[^1].N} (ratio {points[^1].Ratio:F2} there)";
        if (first == 0) return $"below 1 from the shortest length measured (n = {points[0].N})";
        var (n0, r0) = points[first - 1];
        var (n1, r1) = points[first];
        double t = (r0 - 1) / (r0 - r1);
        double estimate = Math.Exp(Math.Log(n0) + t * (Math.Log(n1) - Math.Log(n0)));
        return $"between n = {n0} ({r0:F2}) and n = {n1} ({r1:F2}), ≈ {estimate:F0} by log-linear interpolation";
    }
}
