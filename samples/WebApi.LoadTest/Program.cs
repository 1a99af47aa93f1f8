// A bounded load test of samples/WebApi over loopback. Starts the built server as a child process on a free 127.0.0.1
// port, waits for /ready, warms up, then runs N concurrent clients for T seconds against one endpoint and reports
// requests/s, latency percentiles, errors and the server's resident memory (RSS) at the start and end of the measured
// window. Every request goes to 127.0.0.1 only; the run stops by itself. Exit code 1 when any request failed.
// --telemetry on|off starts the server with OpenTelemetry (metrics + traces, Prometheus exporter, /metrics scraped every
// 5 s) or without; alternate runs off, on, off, on … (--rounds pairs), a fresh server each, and prints a summary.
// From the repository root, after building (dotnet build -c Release) and `gau quickstart`:
//   dotnet run --project samples/WebApi.LoadTest -c Release -- --clients 16 --seconds 30 [--endpoint classify|embed|similarity]
//     [--model quickstart-output/model.zip] [--server samples/WebApi/bin/Release/net10.0/WebApi.dll] [--warmup 5]
//     [--telemetry on|off|alternate] [--rounds 1]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

var settings = Settings.Parse(args);
if (!File.Exists(settings.Server)) return Fail($"no server at {settings.Server}: build it first (dotnet build samples/WebApi -c Release)");
if (!File.Exists(settings.Model) && !Directory.Exists(settings.Model)) return Fail($"no model at {settings.Model}: run gau quickstart first");
string[] texts = LoadTexts(settings.Texts);

var runs = new List<(string Telemetry, Summary Summary)>();
string[] plan = settings.Telemetry switch
{
    "alternate" => [.. Enumerable.Range(0, settings.Rounds).SelectMany(_ => new[] { "off", "on" })],
    _ => [.. Enumerable.Repeat(settings.Telemetry, settings.Rounds)],
};
foreach (string telemetry in plan)
{
    Console.WriteLine();
    Console.WriteLine($"=== run {runs.Count + 1} of {plan.Length}: telemetry {telemetry} ===");
    var summary = await RunServerAsync(settings, texts, telemetry == "on");
    if (summary is null) return 2;
    runs.Add((telemetry, summary));
}
if (runs.Count > 1)
{
    Console.WriteLine();
    Console.WriteLine($"summary ({CpuName()}, {Environment.ProcessorCount} cores; {settings.Clients} clients × {settings.Seconds} s on POST /{settings.Endpoint}):");
    Console.WriteLine("  run  telemetry  req/s     p50 ms  p99 ms  errors");
    for (int i = 0; i < runs.Count; i++)
    {
        var (telemetry, r) = runs[i];
        Console.WriteLine($"  {i + 1,3}  {telemetry,-9}  {r.RequestsPerSecond,8:F1}  {r.P50,6:F1}  {r.P99,6:F1}  {r.Errors}");
    }
    foreach (var group in runs.GroupBy(r => r.Telemetry))
        Console.WriteLine($"  telemetry {group.Key}: median {Median(group.Select(r => r.Summary.RequestsPerSecond)):F1} req/s, p50 {Median(group.Select(r => r.Summary.P50)):F1} ms, p99 {Median(group.Select(r => r.Summary.P99)):F1} ms over {group.Count()} run(s)");
}
return runs.All(r => r.Summary.Errors == 0) ? 0 : 1;

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

// One server process: started with telemetry on (OpenTelemetry's MeterProvider with the Prometheus exporter, scraped every
// 5 s like a Prometheus server would) or off, waited for, warmed up, measured, stopped.
static async Task<Summary?> RunServerAsync(Settings settings, string[] texts, bool telemetry)
{
    int port = FreeLoopbackPort();
    var baseUri = new Uri($"http://127.0.0.1:{port}");
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (string arg in new[]
    {
        settings.Server, "--urls", baseUri.ToString(),
        $"--Gau:Classify:ModelPath={Path.GetFullPath(settings.Model)}", $"--Gau:Embed:ModelPath={Path.GetFullPath(settings.Model)}",
        "--Logging:LogLevel:Default=Warning", $"--Telemetry:Enabled={(telemetry ? "true" : "false")}",
    })
    {
        start.ArgumentList.Add(arg);
    }
    using var server = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
    server.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"  [server] {e.Data}"); };
    server.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"  [server] {e.Data}"); };
    server.BeginOutputReadLine();
    server.BeginErrorReadLine();
    try
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = baseUri,
            Timeout = TimeSpan.FromSeconds(30),
        };
        Console.WriteLine($"load test: server pid {server.Id} on {baseUri}, model {settings.Model}, telemetry {(telemetry ? "on" : "off")}; waiting for /ready");
        var readyClock = Stopwatch.StartNew();
        while (true)
        {
            if (server.HasExited)
            {
                Fail($"the server exited with {server.ExitCode}");
                return null;
            }
            if (readyClock.Elapsed > TimeSpan.FromMinutes(5))
            {
                Fail("the server was not ready within 5 minutes");
                return null;
            }
            try
            {
                if ((await http.GetAsync("/ready")).StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        Console.WriteLine($"load test: ready after {readyClock.Elapsed.TotalSeconds:F1} s; warming up for {settings.Warmup} s with {settings.Clients} clients");
        await RunAsync(http, settings, texts, TimeSpan.FromSeconds(settings.Warmup), measure: false);

        long rssStart = Rss(server.Id);
        var rssSamples = new List<long> { rssStart };
        long scrapes = 0, scrapedBytes = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            for (int tick = 1; !sampling.IsCancellationRequested; tick++)
            {
                try { await Task.Delay(1000, sampling.Token); } catch (OperationCanceledException) { break; }
                rssSamples.Add(Rss(server.Id));
                if (telemetry && tick % 5 == 0)
                {
                    scrapedBytes += (await http.GetStringAsync("/metrics")).Length;
                    scrapes++;
                }
            }
        });
        Console.WriteLine($"load test: measuring {settings.Clients} clients × {settings.Seconds} s on POST /{settings.Endpoint}");
        var result = await RunAsync(http, settings, texts, TimeSpan.FromSeconds(settings.Seconds), measure: true);
        sampling.Cancel();
        await sampler;
        long rssEnd = Rss(server.Id);

        var latencies = result.Latencies.Order().ToArray();
        double P(double q) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        var ready = await http.GetFromJsonAsync<JsonElement>("/ready");
        string statistics = string.Join("; ", ready.GetProperty("models").EnumerateArray().Select(m =>
        {
            var s = m.GetProperty("statistics");
            long batches = s.GetProperty("batches").GetInt64(), rows = s.GetProperty("rows").GetInt64();
            var listed = m.GetProperty("transforms");
            string transforms = listed.ValueKind != JsonValueKind.Array ? "not loaded" : listed.GetArrayLength() == 0 ? "GAU alone" : string.Join(" → ", listed.EnumerateArray().Select(t => t.GetString()));
            return $"{m.GetProperty("name").GetString()}: {s.GetProperty("requests").GetInt64()} requests, {batches} forward passes, {(batches == 0 ? 0 : (double)rows / batches):F1} rows/pass, engine {m.GetProperty("engine").GetString()}, {transforms}";
        }));
        string metrics = "";
        if (telemetry)
        {
            string exported = await http.GetStringAsync("/metrics");
            var requestsLine = exported.Split('\n').FirstOrDefault(l => l.StartsWith("gaumlnet_serving_requests", StringComparison.Ordinal) && l.Contains($"\"{settings.Endpoint switch { "classify" => "classify", _ => "embed" }}\"", StringComparison.Ordinal));
            metrics = $"{scrapes} scrapes of /metrics during the window ({scrapedBytes / Math.Max(1, scrapes)} bytes each); at the end: {requestsLine ?? "no gaumlnet_serving_requests line"}";
        }

        var summary = new Summary(result.Requests / result.Elapsed.TotalSeconds, P(0.50), P(0.99), result.Errors);
        Console.WriteLine();
        Console.WriteLine($"cpu:        {CpuName()} ({Environment.ProcessorCount} cores), load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end");
        Console.WriteLine($"workload:   {settings.Clients} clients, {settings.Seconds} s, POST /{settings.Endpoint}, one text per request ({texts.Length} texts from {settings.Texts})");
        Console.WriteLine($"telemetry:  {(telemetry ? "on (OpenTelemetry MeterProvider + TracerProvider, Prometheus exporter)" : "off (no listener: the instruments record nothing)")}");
        Console.WriteLine($"requests:   {result.Requests} in {result.Elapsed.TotalSeconds:F1} s = {summary.RequestsPerSecond:F1} req/s");
        Console.WriteLine($"latency:    p50 {P(0.50):F1} ms, p90 {P(0.90):F1} ms, p99 {P(0.99):F1} ms, max {(latencies.Length == 0 ? double.NaN : latencies[^1]):F1} ms");
        Console.WriteLine($"errors:     {result.Errors}{(result.FirstError is null ? "" : $" (first: {result.FirstError})")}");
        Console.WriteLine($"server RSS: {rssStart / 1048576.0:F1} MiB at the start, {rssEnd / 1048576.0:F1} MiB at the end, peak {rssSamples.Append(rssEnd).Max() / 1048576.0:F1} MiB (sampled every second)");
        Console.WriteLine($"batching:   {statistics}");
        if (telemetry) Console.WriteLine($"metrics:    {metrics}");
        return summary;
    }
    finally
    {
        if (!server.HasExited)
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit(10_000);
        }
    }
}

static async Task<RunResult> RunAsync(HttpClient http, Settings settings, string[] texts, TimeSpan duration, bool measure)
{
    var latencies = new List<double>[settings.Clients];
    long requests = 0, errors = 0;
    string? firstError = null;
    var clock = Stopwatch.StartNew();
    var deadline = clock.Elapsed + duration;
    var clients = Enumerable.Range(0, settings.Clients).Select(c => Task.Run(async () =>
    {
        var mine = latencies[c] = [];
        var random = new Random(c);
        while (clock.Elapsed < deadline && mine.Count < 1_000_000)
        {
            string text = texts[random.Next(texts.Length)];
            object body = settings.Endpoint switch
            {
                "similarity" => new { text1 = text, text2 = texts[random.Next(texts.Length)] },
                _ => new { text },
            };
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.PostAsJsonAsync("/" + settings.Endpoint, body);
                await response.Content.LoadIntoBufferAsync();
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}", null);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref errors);
                Interlocked.CompareExchange(ref firstError, ex.Message, null);
            }
            mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            Interlocked.Increment(ref requests);
        }
    })).ToArray();
    await Task.WhenAll(clients);
    return new RunResult(requests, errors, firstError, clock.Elapsed, measure ? [.. latencies.SelectMany(l => l)] : []);
}

static long Rss(int pid)
{
    foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    return 0;
}

static string CpuName() =>
    File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

static int FreeLoopbackPort()
{
    var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    int port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}

static string[] LoadTexts(string path) =>
    [.. File.ReadLines(path).Where(l => l.Trim().Length > 0).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("sentence").GetString() ?? "").Where(s => s.Length > 0)];

static int Fail(string message)
{
    Console.Error.WriteLine($"load test: {message}");
    return 2;
}

internal sealed record Summary(double RequestsPerSecond, double P50, double P99, long Errors);

internal sealed record RunResult(long Requests, long Errors, string? FirstError, TimeSpan Elapsed, double[] Latencies);

internal sealed record Settings(string Server, string Model, string Texts, string Endpoint, int Clients, int Seconds, int Warmup, string Telemetry, int Rounds)
{
    public static Settings Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            int at = Array.IndexOf(args, "--" + name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        }
        string configuration = "Release";
        var settings = new Settings(
            Get("server", Path.Combine("samples", "WebApi", "bin", configuration, "net10.0", "WebApi.dll")),
            Get("model", Path.Combine("quickstart-output", "model.zip")),
            Get("texts", Path.Combine("samples", "data", "sentiment", "dev.json")),
            Get("endpoint", "classify"),
            int.Parse(Get("clients", "16"), CultureInfo.InvariantCulture),
            int.Parse(Get("seconds", "30"), CultureInfo.InvariantCulture),
            int.Parse(Get("warmup", "5"), CultureInfo.InvariantCulture),
            Get("telemetry", "on"),
            int.Parse(Get("rounds", "1"), CultureInfo.InvariantCulture));
        if (settings.Telemetry is not ("on" or "off" or "alternate")) throw new ArgumentException("--telemetry is on, off or alternate");
        if (settings.Rounds is < 1 or > 20) throw new ArgumentException("--rounds 1..20");
        if (settings.Endpoint is not ("classify" or "embed" or "similarity")) throw new ArgumentException("--endpoint is classify, embed or similarity");
        if (settings.Clients is < 1 or > 512 || settings.Seconds is < 1 or > 600) throw new ArgumentException("--clients 1..512, --seconds 1..600");
        return settings;
    }
}
