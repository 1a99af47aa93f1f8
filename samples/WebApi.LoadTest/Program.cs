// A bounded load test of samples/WebApi over loopback. Starts the built server as a child process on a free 127.0.0.1
// port, waits for /ready, warms up, then runs N concurrent clients for T seconds against one endpoint and reports
// requests/s, latency percentiles, errors and the server's resident memory (RSS) at the start and end of the measured
// window. Every request goes to 127.0.0.1 only; the run stops by itself. Exit code 1 when any request failed.
// From the repository root, after building (dotnet build -c Release) and `gau quickstart`:
//   dotnet run --project samples/WebApi.LoadTest -c Release -- --clients 16 --seconds 30 [--endpoint classify|embed|similarity]
//     [--model quickstart-output/model.zip] [--server samples/WebApi/bin/Release/net10.0/WebApi.dll] [--warmup 5]
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

int port = FreeLoopbackPort();
var baseUri = new Uri($"http://127.0.0.1:{port}");
var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
foreach (string arg in new[]
{
    settings.Server, "--urls", baseUri.ToString(),
    $"--Gau:Classify:ModelPath={Path.GetFullPath(settings.Model)}", $"--Gau:Embed:ModelPath={Path.GetFullPath(settings.Model)}",
    "--Logging:LogLevel:Default=Warning",
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
    Console.WriteLine($"load test: server pid {server.Id} on {baseUri}, model {settings.Model}; waiting for /ready");
    var readyClock = Stopwatch.StartNew();
    while (true)
    {
        if (server.HasExited) return Fail($"the server exited with {server.ExitCode}");
        if (readyClock.Elapsed > TimeSpan.FromMinutes(5)) return Fail("the server was not ready within 5 minutes");
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
    using var sampling = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!sampling.IsCancellationRequested)
        {
            try { await Task.Delay(1000, sampling.Token); } catch (OperationCanceledException) { break; }
            rssSamples.Add(Rss(server.Id));
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
        return $"{m.GetProperty("name").GetString()}: {s.GetProperty("requests").GetInt64()} requests, {batches} forward passes, {(batches == 0 ? 0 : (double)rows / batches):F1} rows/pass, engine {m.GetProperty("engine").GetString()}";
    }));

    Console.WriteLine();
    Console.WriteLine($"cpu:        {CpuName()} ({Environment.ProcessorCount} cores), load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end");
    Console.WriteLine($"workload:   {settings.Clients} clients, {settings.Seconds} s, POST /{settings.Endpoint}, one text per request ({texts.Length} texts from {settings.Texts})");
    Console.WriteLine($"requests:   {result.Requests} in {result.Elapsed.TotalSeconds:F1} s = {result.Requests / result.Elapsed.TotalSeconds:F1} req/s");
    Console.WriteLine($"latency:    p50 {P(0.50):F1} ms, p90 {P(0.90):F1} ms, p99 {P(0.99):F1} ms, max {(latencies.Length == 0 ? double.NaN : latencies[^1]):F1} ms");
    Console.WriteLine($"errors:     {result.Errors}{(result.FirstError is null ? "" : $" (first: {result.FirstError})")}");
    Console.WriteLine($"server RSS: {rssStart / 1048576.0:F1} MiB at the start, {rssEnd / 1048576.0:F1} MiB at the end, peak {rssSamples.Append(rssEnd).Max() / 1048576.0:F1} MiB (sampled every second)");
    Console.WriteLine($"batching:   {statistics}");
    return result.Errors == 0 ? 0 : 1;
}
finally
{
    if (!server.HasExited)
    {
        server.Kill(entireProcessTree: true);
        server.WaitForExit(10_000);
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

internal sealed record RunResult(long Requests, long Errors, string? FirstError, TimeSpan Elapsed, double[] Latencies);

internal sealed record Settings(string Server, string Model, string Texts, string Endpoint, int Clients, int Seconds, int Warmup)
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
            int.Parse(Get("warmup", "5"), CultureInfo.InvariantCulture));
        if (settings.Endpoint is not ("classify" or "embed" or "similarity")) throw new ArgumentException("--endpoint is classify, embed or similarity");
        if (settings.Clients is < 1 or > 512 || settings.Seconds is < 1 or > 600) throw new ArgumentException("--clients 1..512, --seconds 1..600");
        return settings;
    }
}
