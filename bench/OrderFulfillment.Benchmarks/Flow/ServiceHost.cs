using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OrderFulfillment.Benchmarks.Flow;

/// <summary>
/// A service as its own process, as deployed: <c>dotnet src/X/bin/Release/net10.0/X.dll</c> with the environment a
/// deployment gives it, its output in a log file. Sampled through /proc for peak RSS (VmHWM) and CPU time.
/// </summary>
public sealed class ServiceHost : IAsyncDisposable
{
    readonly Process _process;

    ServiceHost(string name, Process process, int port, string log)
    {
        Name = name;
        _process = process;
        Port = port;
        LogPath = log;
    }

    public string Name { get; }
    public int Port { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>servicesRoot/src/project/bin/Release/net10.0/project.dll</c> and waits until it is ready.</summary>
    public static async Task<ServiceHost> StartAsync(string name, string servicesRoot, string project, IReadOnlyDictionary<string, string> environment,
        string logDirectory)
    {
        var port = FreePort();
        Directory.CreateDirectory(logDirectory);
        var log = Path.Combine(logDirectory, name + ".log");
        var dll = Paths.ServiceDll(servicesRoot, project);
        // exec: the pid is the service's own, for /proc sampling.
        var info = new ProcessStartInfo("/bin/sh", ["-c", "exec dotnet \"$0\" >\"$1\" 2>&1", dll, log])
        {
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {project}");
        var host = new ServiceHost(name, process, port, log);
        await host.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        return host;
    }

    async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}/"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} at start:\n{Tail()}");
            try
            {
                using var response = await http.GetAsync("health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds} s:\n{Tail()}");
    }

    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join("\n", reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>Peak resident set (VmHWM) and current RSS in MB, and CPU seconds used so far (utime + stime).</summary>
    public (double PeakMb, double RssMb, double CpuSeconds, string Breakdown)? Sample()
    {
        try
        {
            double hwm = 0, rss = 0, anon = 0, file = 0, shmem = 0;
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    hwm = Kb(line) / 1024.0;
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    rss = Kb(line) / 1024.0;
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                    anon = Kb(line) / 1024.0;
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
                    file = Kb(line) / 1024.0;
                else if (line.StartsWith("RssShmem:", StringComparison.Ordinal))
                    shmem = Kb(line) / 1024.0;
            }

            return MachineCpu.Read(Pid) is { } stat ? (hwm, rss, stat.CpuSeconds, $"anon {anon:0} + file {file:0} + shmem {shmem:0} MB") : null;
        }
        catch (Exception exception) when (exception is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }

        static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// Samples services' RSS and CPU every 200 ms: peak RSS, CPU seconds used and the busiest second; and, through
/// <see cref="Cpu"/>, the machine's CPU and that of PostgreSQL, RabbitMQ and the benchmark itself.
/// </summary>
public sealed class ProcessSampler : IAsyncDisposable
{
    readonly IReadOnlyList<ServiceHost> _hosts;
    readonly CancellationTokenSource _stop = new();
    readonly Dictionary<ServiceHost, Stats> _stats = [];
    readonly Task _loop;

    public ProcessSampler(IReadOnlyList<ServiceHost> hosts)
    {
        _hosts = hosts;
        foreach (var host in hosts)
        {
            var sample = host.Sample();
            _stats[host] = new Stats
            {
                CpuStart = sample?.CpuSeconds ?? 0,
                LastCpu = sample?.CpuSeconds ?? 0,
                LastAt = Stopwatch.GetTimestamp(),
                StartRssMb = sample?.RssMb ?? 0,
            };
        }

        Cpu = new MachineCpu(hosts);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The machine's CPU over the run: sampled with the services, stopped by <see cref="Stop"/>.</summary>
    public MachineCpu Cpu { get; }

    sealed class Stats
    {
        public double PeakMb;
        public double MaxRssMb;
        public string? BreakdownAtMax;
        public double StartRssMb;
        public double CpuStart;
        public double LastCpu;
        public long LastAt;
        public double PeakCpuPercent;
        public readonly List<double> Window = [];
    }

    public sealed record ServiceUsage(string Name, double PeakRssMb, double MaxSampledRssMb, double CpuSeconds, double PeakCpuPercent,
        double RssAtStartMb, string? BreakdownAtMax);

    async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            SampleAll();
            try
            {
                await Task.Delay(200, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    void SampleAll()
    {
        lock (_stats)
        {
            Cpu.Sample();
            foreach (var host in _hosts)
            {
                if (host.Sample() is not { } sample)
                    continue;
                var stats = _stats[host];
                var now = Stopwatch.GetTimestamp();
                stats.PeakMb = Math.Max(stats.PeakMb, sample.PeakMb);
                if (sample.RssMb > stats.MaxRssMb)
                {
                    stats.MaxRssMb = sample.RssMb;
                    stats.BreakdownAtMax = sample.Breakdown;
                }

                var seconds = (now - stats.LastAt) / (double)Stopwatch.Frequency;
                if (seconds >= 0.9)
                {
                    stats.PeakCpuPercent = Math.Max(stats.PeakCpuPercent, 100 * (sample.CpuSeconds - stats.LastCpu) / seconds);
                    stats.LastCpu = sample.CpuSeconds;
                    stats.LastAt = now;
                }
            }
        }
    }

    public IReadOnlyList<ServiceUsage> Stop()
    {
        _stop.Cancel();
        SampleAll();
        lock (_stats)
        {
            Cpu.Stop();
            return [.. _hosts.Select(h =>
            {
                var s = _stats[h];
                var cpu = (h.Sample()?.CpuSeconds ?? s.LastCpu) - s.CpuStart;
                return new ServiceUsage(h.Name, s.PeakMb, s.MaxRssMb, cpu, s.PeakCpuPercent, s.StartRssMb, s.BreakdownAtMax);
            })];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
