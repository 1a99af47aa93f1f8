using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GauMLNet.Serving;

/// <summary>
/// Readiness of every scorer registered with <c>AddGauScoring</c>: healthy once each has loaded its model and scored its
/// warm-up batch; unhealthy while one is loading (so a load balancer holds traffic back) or when one failed to load (the
/// description says why). The data holds each scorer's state: ready, loading or failed.
/// </summary>
public sealed class GauScorersHealthCheck(IGauScorerProvider scorers) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var failed = new List<string>();
        var loading = new List<string>();
        foreach (string name in scorers.Names)
        {
            var scorer = scorers.Get(name);
            if (scorer.LoadError is { } error)
            {
                data[name] = "failed";
                failed.Add($"'{name}' failed to load: {error.Message}");
            }
            else if (!scorer.IsReady)
            {
                data[name] = "loading";
                loading.Add($"'{name}'");
            }
            else
            {
                data[name] = "ready";
            }
        }
        if (failed.Count > 0) return Task.FromResult(HealthCheckResult.Unhealthy("GAU scorer " + string.Join("; ", failed), data: data));
        if (loading.Count > 0) return Task.FromResult(HealthCheckResult.Unhealthy($"GAU scorer(s) {string.Join(", ", loading)} still warming up.", data: data));
        return Task.FromResult(HealthCheckResult.Healthy($"{data.Count} GAU scorer(s) ready.", data));
    }
}

/// <summary><c>services.AddHealthChecks().AddGauScorers()</c>.</summary>
public static class GauScorersHealthCheckExtensions
{
    /// <summary>Adds <see cref="GauScorersHealthCheck"/>, tagged "ready" unless other tags are given.</summary>
    public static IHealthChecksBuilder AddGauScorers(this IHealthChecksBuilder builder, string name = "gau-scorers", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<GauScorersHealthCheck>(name, HealthStatus.Unhealthy, tags ?? ["ready"]);
    }
}
