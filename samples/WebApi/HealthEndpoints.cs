using System.Text.Json;
using GauMLNet.Serving;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GauMLNet.Samples.WebApi;

public sealed record ModelStatus(string Name, string State, string? Model, string? Engine, IReadOnlyList<string>? Transforms, string? Error, GauScorerStatistics Statistics);
public sealed record ReadyResponse(string Status, string? Description, IReadOnlyList<ModelStatus> Models);

/// <summary>
/// /health: the process answers (no check runs). /ready: the checks tagged "ready" (GauMLNet.Serving's
/// <see cref="GauScorersHealthCheck"/>), 200 when healthy, 503 otherwise, with each model's state and counters.
/// </summary>
public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            Predicate = _ => false,
            ResponseWriter = (context, _) => context.Response.WriteAsJsonAsync(new { status = "ok" }),
        });
        app.MapHealthChecks("/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteReadiness,
        });
    }

    private static Task WriteReadiness(HttpContext context, HealthReport report)
    {
        var scorers = context.RequestServices.GetRequiredService<IGauScorerProvider>();
        var models = scorers.Names.Select(name =>
        {
            var scorer = scorers.Get(name);
            string state = scorer.IsReady ? "ready" : scorer.LoadError is null ? "loading" : "failed";
            var info = scorer.Info;
            return new ModelStatus(name, state, info?.ModelId, info?.Engine, info?.Transforms, scorer.LoadError?.Message, scorer.Statistics);
        }).ToList();
        string status = report.Status == HealthStatus.Healthy ? "ready" : "not ready";
        string? description = report.Entries.Values.Select(e => e.Description).FirstOrDefault(d => d is not null);
        var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new ReadyResponse(status, description, models), options));
    }
}
