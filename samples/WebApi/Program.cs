// A GAU-α scoring service: POST /classify, /similarity, /embed; GET /health (the process is up), /ready (every model is
// loaded and warmed up: GauMLNet.Serving's health check), /metrics (Prometheus: the GauMLNet.Serving meter and ASP.NET
// Core's) and /openapi/v1.json. Concurrent requests to a model are batched into shared forward passes; a full queue
// answers 503 with Retry-After. Scores with ONNX Runtime, so this app ships no libtorch.
// Run from the repository root after `gau quickstart` (models are set in appsettings.json, section Gau):
//   dotnet run --project samples/WebApi -c Release -- --urls http://127.0.0.1:5080
//   curl -s localhost:5080/classify -H 'content-type: application/json' -d '{"text":"物流很快，质量很好"}'
//   curl -s localhost:5080/metrics | grep gaumlnet
// Telemetry:Enabled=false turns OpenTelemetry off; Telemetry:Console=true also prints metrics and batch spans to stdout.
using System.Text.Encodings.Web;
using System.Text.Unicode;
using GauMLNet.Samples.WebApi;
using GauMLNet.Serving;
using GauMLNet.Tasks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = WebApplication.CreateBuilder(args);
// Defaults here, so the app behaves the same from any working directory; appsettings.json, environment variables
// (Gau__Classify__ModelPath=…) and command-line arguments (--Gau:Classify:ModelPath=…) override them.
string quickstartModel = Path.Combine("quickstart-output", "model.zip");
builder.Services.AddGauScoring(ScoringApi.Classify, o =>
{
    o.ModelPath = quickstartModel;
    o.Engine = "onnxruntime";
    builder.Configuration.GetSection("Gau:Classify").Bind(o);
});
builder.Services.AddGauScoring(ScoringApi.Embed, o =>
{
    o.ModelPath = quickstartModel;
    o.Engine = "onnxruntime";
    o.Task = GauTask.Embedding; // the classifier's encoder: one fine-tuned model answers /embed and /similarity too
    builder.Configuration.GetSection("Gau:Embed").Bind(o);
});
builder.Services.AddHealthChecks().AddGauScorers(); // tagged "ready": /ready answers 200 once every model has warmed up
builder.Services.AddOpenApi();
if (builder.Configuration.GetValue("Telemetry:Enabled", true))
{
    bool console = builder.Configuration.GetValue("Telemetry:Console", false);
    builder.Services.AddOpenTelemetry()
        .WithMetrics(metrics =>
        {
            metrics.AddMeter(GauServingTelemetry.MeterName, "Microsoft.AspNetCore.Hosting").AddPrometheusExporter();
            if (console) metrics.AddConsoleExporter();
        })
        .WithTracing(tracing =>
        {
            tracing.AddSource(GauServingTelemetry.ActivitySourceName);
            if (console) tracing.AddConsoleExporter();
        });
}
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All)); // 中文 stays readable
builder.Services.AddProblemDetails();

var app = builder.Build();
// A body that is not the request's JSON is the client's error (400), not the server's: without the selector the exception
// handler answered BadHttpRequestException with 500 (issue #30, DamagedRequestBodyTests).
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
});
app.MapOpenApi(); // /openapi/v1.json
if (app.Configuration.GetValue("Telemetry:Enabled", true)) app.MapPrometheusScrapingEndpoint(); // /metrics
app.MapHealthEndpoints();
app.MapScoringApi(builder.Configuration.GetValue("Gau:MaxTextsPerRequest", 64));
app.Run();

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
