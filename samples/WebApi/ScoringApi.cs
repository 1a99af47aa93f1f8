using GauMLNet.Serving;

namespace GauMLNet.Samples.WebApi;

public sealed record ClassifyRequest(string? Text, string[]? Texts);
public sealed record ClassifyResponse(string Model, IReadOnlyList<GauClassification> Predictions);
public sealed record SimilarityRequest(string? Text1, string? Text2);
public sealed record SimilarityResponse(string Model, float Similarity);
public sealed record EmbedRequest(string? Text, string[]? Texts);
public sealed record EmbedResponse(string Model, int Dimensions, IReadOnlyList<float[]> Embeddings);

/// <summary>The endpoints. /similarity is the cosine of the embed model's embeddings (or, if that is a sentence-pair regression model, its score).</summary>
public static class ScoringApi
{
    public const string Classify = "classify";
    public const string Embed = "embed";

    public static void MapScoringApi(this WebApplication app, int maxTexts)
    {
        app.MapPost("/classify", async ([FromKeyedServices(Classify)] IGauScorer scorer, ClassifyRequest request, CancellationToken ct) =>
        {
            var texts = Texts(request.Text, request.Texts, maxTexts);
            if (texts.Problem is { } problem) return problem;
            return await Guard(scorer, async () =>
            {
                var info = await scorer.GetInfoAsync(ct);
                var predictions = await scorer.ClassifyAsync([.. texts.Values!.Select(t => new GauInput(t))], ct);
                return Results.Ok(new ClassifyResponse(info.ModelId, predictions));
            });
        });

        app.MapPost("/similarity", async ([FromKeyedServices(Embed)] IGauScorer scorer, SimilarityRequest request, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(request.Text1) || string.IsNullOrEmpty(request.Text2))
                return Results.Problem("Send {\"text1\": \"…\", \"text2\": \"…\"}.", statusCode: StatusCodes.Status400BadRequest);
            return await Guard(scorer, async () =>
            {
                var info = await scorer.GetInfoAsync(ct);
                return Results.Ok(new SimilarityResponse(info.ModelId, await scorer.SimilarityAsync(request.Text1, request.Text2, ct)));
            });
        });

        app.MapPost("/embed", async ([FromKeyedServices(Embed)] IGauScorer scorer, EmbedRequest request, CancellationToken ct) =>
        {
            var texts = Texts(request.Text, request.Texts, maxTexts);
            if (texts.Problem is { } problem) return problem;
            return await Guard(scorer, async () =>
            {
                var info = await scorer.GetInfoAsync(ct);
                var vectors = await scorer.EmbedAsync(texts.Values!, ct);
                return Results.Ok(new EmbedResponse(info.ModelId, info.Outputs, vectors));
            });
        });
    }

    private static (string[]? Values, IResult? Problem) Texts(string? text, string[]? texts, int maxTexts)
    {
        string[] values = text is not null ? [text, .. texts ?? []] : texts ?? [];
        if (values.Length == 0)
            return (null, Results.Problem("Send {\"text\": \"…\"} or {\"texts\": [\"…\", …]}.", statusCode: StatusCodes.Status400BadRequest));
        if (values.Length > maxTexts)
            return (null, Results.Problem($"At most {maxTexts} texts per request.", statusCode: StatusCodes.Status400BadRequest));
        if (values.Any(v => v is null))
            return (null, Results.Problem("Texts must not be null.", statusCode: StatusCodes.Status400BadRequest));
        return (values, null);
    }

    // Expected failures become problem responses: overload → 503 + Retry-After, a model that failed to load → 503,
    // a request the model cannot serve (wrong task, text too long) → 400.
    private static async Task<IResult> Guard(IGauScorer scorer, Func<Task<IResult>> body)
    {
        try
        {
            return await body();
        }
        catch (GauScorerOverloadedException ex)
        {
            return new RetryAfter(Results.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable), seconds: 1);
        }
        catch (Exception ex) when (scorer.LoadError is not null)
        {
            return Results.Problem($"Model '{scorer.Name}' failed to load: {scorer.LoadError.Message}", statusCode: StatusCodes.Status503ServiceUnavailable,
                extensions: new Dictionary<string, object?> { ["error"] = ex.Message });
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private sealed class RetryAfter(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
