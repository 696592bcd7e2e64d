using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrderFulfillment.TestSupport;

/// <summary>
/// A service started as its own process (<c>dotnet OrderFulfillment.XService.dll</c>) with the environment a
/// deployment would give it; it can be killed with SIGKILL and started again.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    readonly string _project;
    readonly Dictionary<string, string> _environment;
    readonly ConcurrentQueue<string> _log = new();
    Process? _process;

    ServiceProcess(string project, Dictionary<string, string> environment)
    {
        _project = project;
        _environment = environment;
        Port = FreePort();
        _environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}";
    }

    public int Port { get; }

    /// <summary>Changes the environment for the next start (e.g. to remove a fault point before a restart).</summary>
    public void SetEnvironment(string key, string? value)
    {
        if (value is null)
            _environment.Remove(key);
        else
            _environment[key] = value;
    }

    public bool HasExited => _process?.HasExited ?? true;
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    public IEnumerable<string> Log => _log;
    public int? ProcessId => _process?.Id;

    /// <summary>The CPU time (user and system) the running process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            if (_process is null || _process.HasExited)
                return TimeSpan.Zero;
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static Task<ServiceProcess> StartOrderServiceAsync(Dictionary<string, string> environment) =>
        StartAsync("OrderFulfillment.OrderService", environment);

    public static Task<ServiceProcess> StartFulfillmentServiceAsync(Dictionary<string, string> environment) =>
        StartAsync("OrderFulfillment.FulfillmentService", environment);

    /// <summary>Starts <c>src/{project}</c> from its build output (the test project must build it first).</summary>
    public static async Task<ServiceProcess> StartAsync(string project, Dictionary<string, string> environment)
    {
        var service = new ServiceProcess(project, new Dictionary<string, string>(environment));
        await service.StartAsync();
        return service;
    }

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("dotnet", [Dll(_project)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Dll(_project))!,
        };
        foreach (var (key, value) in _environment)
            info.Environment[key] = value;
        info.Environment["Logging__Console__FormatterName"] = "simple";

        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {_project}");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGKILL: no shutdown, no flush, nothing the process can do about it.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAsync();
    }

    public HttpClient Http() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };

    public string LogTail(int lines = 60) => string.Join("\n", _log.TakeLast(lines));

    async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = Http();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"{_project} exited with {_process.ExitCode} at start:\n{LogTail()}");
            try
            {
                using var response = await http.GetAsync("health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200); // the interval of a poll until the service answers, not a quiet period
        }

        throw new TimeoutException($"{_project} was not ready within {timeout.TotalSeconds} s:\n{LogTail()}");
    }

    static string Dll(string project)
    {
        // tests/<test project>/bin/<Configuration>/net10.0 → src/<project>/bin/<Configuration>/net10.0
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OrderFulfillment.sln")))
            root = root.Parent;
        if (root is null)
            throw new InvalidOperationException("OrderFulfillment.sln not found above " + AppContext.BaseDirectory);
        var dll = Path.Combine(root.FullName, "src", project, "bin", configuration, framework, project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build the solution first", dll);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }
}
