using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace OrderFulfillment.TestSupport;

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c>, or <c>PROMETHEUS_PATH</c>) on a free loopback port, running the
/// repository's <c>monitoring/prometheus.yml</c> and <c>monitoring/alerts.yml</c> with the scrape targets replaced by the
/// processes of a test and both intervals at 1 s. A missing binary fails the test.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    readonly Process _process;
    readonly string _folder;
    readonly HttpClient _http;

    PrometheusServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
        _http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
    }

    public static string BinaryPath => Environment.GetEnvironmentVariable("PROMETHEUS_PATH") is { Length: > 0 } path ? path : "/usr/bin/prometheus";

    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>The repository's <c>monitoring/</c> folder.</summary>
    public static string MonitoringFolder => Path.Combine(RepositoryRoot(), "monitoring");

    /// <summary>Starts Prometheus with <paramref name="targets"/> (the configuration's <c>host:port</c> → the test's).</summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, Uri> targets)
    {
        if (!File.Exists(BinaryPath))
            throw new InvalidOperationException($"no Prometheus at {BinaryPath}: apt-get install -y prometheus (or set PROMETHEUS_PATH)");
        var folder = Directory.CreateTempSubdirectory("orderfulfillment-prometheus-").FullName;
        var configuration = await File.ReadAllTextAsync(Path.Combine(MonitoringFolder, "prometheus.yml"));
        foreach (var (target, address) in targets)
        {
            var placeholder = $"\"{target}\"";
            if (!configuration.Contains(placeholder, StringComparison.Ordinal))
                throw new InvalidOperationException($"monitoring/prometheus.yml has no target {placeholder}");
            configuration = configuration.Replace(placeholder, $"\"{address.Authority}\"", StringComparison.Ordinal);
        }

        configuration = configuration.Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal)
            .Replace("evaluation_interval: 15s", "evaluation_interval: 1s", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(folder, "prometheus.yml"), configuration);
        File.Copy(Path.Combine(MonitoringFolder, "alerts.yml"), Path.Combine(folder, "alerts.yml"));

        var port = FreePort();
        var info = new ProcessStartInfo(BinaryPath,
        [
            $"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--web.listen-address=127.0.0.1:{port}",
            $"--storage.tsdb.path={Path.Combine(folder, "data")}", "--log.level=warn",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start prometheus");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, folder, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"prometheus exited with {process.ExitCode}:\n{string.Join('\n', log)}");
            try
            {
                using var ready = await server._http.GetAsync("-/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                    return server;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"prometheus was not ready within 30 s:\n{string.Join('\n', log)}");
            await Task.Delay(200); // the interval of a poll until Prometheus is ready
        }
    }

    /// <summary>GET /api/v1/query: the result vector (or matrix) of an instant query; fails on a query Prometheus refuses.</summary>
    public async Task<JsonElement> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync($"api/v1/query?query={Uri.EscapeDataString(promql)}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Web);
        if (!response.IsSuccessStatusCode || body.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"Prometheus refused {promql}: {body}");
        return body.GetProperty("data").GetProperty("result");
    }

    /// <summary>GET /api/v1/alerts: every pending or firing alert.</summary>
    public async Task<IReadOnlyList<JsonElement>> AlertsAsync()
    {
        var body = await _http.GetFromJsonAsync<JsonElement>("api/v1/alerts", Web);
        return [.. body.GetProperty("data").GetProperty("alerts").EnumerateArray()];
    }

    /// <summary>GET /api/v1/targets: each active target's job and health (<c>up</c>, <c>down</c>, <c>unknown</c>).</summary>
    public async Task<IReadOnlyList<(string Job, string Health, string Error)>> TargetsAsync()
    {
        var body = await _http.GetFromJsonAsync<JsonElement>("api/v1/targets", Web);
        return [.. body.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Select(t => (
            t.GetProperty("labels").GetProperty("job").GetString() ?? "", t.GetProperty("health").GetString() ?? "", t.GetProperty("lastError").GetString() ?? ""))];
    }

    /// <summary>Polls /api/v1/alerts until an alert matches, or fails with what was there.</summary>
    public async Task<JsonElement> WaitForAlertAsync(Func<JsonElement, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<JsonElement> alerts = [];
        while (DateTime.UtcNow < deadline)
        {
            alerts = await AlertsAsync();
            if (alerts.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found)
                return found;
            await Task.Delay(500); // the interval of a poll of the alerts, which Prometheus evaluates on its own clock
        }

        throw new TimeoutException($"{what}: not in /api/v1/alerts within {timeout.TotalSeconds} s; there were: {string.Join(", ", alerts)}");
    }

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OrderFulfillment.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("OrderFulfillment.sln not found above " + AppContext.BaseDirectory);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Prometheus may still be closing its data files; the folder is in /tmp.
        }
    }
}
