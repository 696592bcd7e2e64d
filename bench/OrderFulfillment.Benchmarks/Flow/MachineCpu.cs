using System.Diagnostics;
using System.Globalization;

namespace OrderFulfillment.Benchmarks.Flow;

/// <summary>
/// Where the machine's CPU goes during a run of workload E. The machine from /proc/stat (user, system, iowait, idle and
/// steal of all cores); processes from /proc/&lt;pid&gt;/stat (utime + stime), in groups: each service instance,
/// PostgreSQL (every process whose comm is <c>postgres</c>), RabbitMQ (<c>beam.smp</c> and its descendants such as
/// <c>erl_child_setup</c> and <c>inet_gethost</c>), the driver (this process) and other (the machine's CPU time no group
/// used). <see cref="ProcessSampler"/> calls <see cref="Sample"/> every 200 ms and the last CPU time seen of each process
/// is kept, so a PostgreSQL backend that exits during the run still counts (all but its last 200 ms at most).
/// </summary>
public sealed class MachineCpu
{
    public const string PostgreSql = "postgresql";
    public const string RabbitMq = "rabbitmq";
    public const string Driver = "driver (bench process)";
    public const string Other = "other";

    /// <summary>Clock ticks per second in /proc (USER_HZ, 100 on Linux).</summary>
    const double TicksPerSecond = 100;

    readonly IReadOnlyList<ServiceHost> _hosts;
    readonly Dictionary<(int Pid, long StartTime), Seen> _seen = [];
    readonly MachineTicks _start;
    readonly long _startedAt;
    MachineTicks? _end;
    long _endedAt;

    public MachineCpu(IReadOnlyList<ServiceHost> hosts)
    {
        _hosts = hosts;
        _startedAt = Stopwatch.GetTimestamp();
        _start = MachineTicks.Read();
        foreach (var (process, group) in Grouped())
            _seen[(process.Pid, process.StartTime)] = new Seen(group, process.Ticks);
    }

    /// <summary>A line of /proc/&lt;pid&gt;/stat: the process's name, parent, start time and CPU time (utime + stime) in ticks.</summary>
    public sealed record ProcessStat(int Pid, string Comm, int ParentPid, long StartTime, long Ticks)
    {
        public double CpuSeconds => Ticks / TicksPerSecond;
    }

    /// <summary>A process of a group: its CPU ticks when the run began (0 when it started during the run) and when last seen.</summary>
    sealed class Seen(string group, long atStart)
    {
        public string Group { get; } = group;
        public long AtStart { get; } = atStart;
        public long Last { get; set; } = atStart;
    }

    /// <summary>The first line of /proc/stat: the time of all cores, in ticks since boot.</summary>
    readonly record struct MachineTicks(long User, long System, long IoWait, long Idle, long Steal)
    {
        public long Used => User + System;
        public long Total => User + System + IoWait + Idle + Steal;

        public static MachineTicks Read()
        {
            // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
            var t = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            return new MachineTicks(t[0] + t[1], t[2] + t[5] + t[6], t[4], t[3], t[7]);
        }

        public static MachineTicks operator -(MachineTicks a, MachineTicks b) =>
            new(a.User - b.User, a.System - b.System, a.IoWait - b.IoWait, a.Idle - b.Idle, a.Steal - b.Steal);
    }

    /// <summary>Reads /proc/&lt;pid&gt;/stat; null when the process is gone.</summary>
    public static ProcessStat? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            // After "pid (comm) ": state is field 3, ppid 4, utime 14, stime 15, starttime 22.
            long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
            return new ProcessStat(pid, stat[(open + 1)..close], (int)Field(4), Field(22), Field(14) + Field(15));
        }
        catch (Exception exception) when (exception is IOException or FormatException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Notes the CPU time of every process of a group; one not seen before started during the run.</summary>
    public void Sample()
    {
        if (_end is not null)
            return;
        foreach (var (process, group) in Grouped())
        {
            if (_seen.TryGetValue((process.Pid, process.StartTime), out var seen))
                seen.Last = process.Ticks;
            else
                _seen[(process.Pid, process.StartTime)] = new Seen(group, 0) { Last = process.Ticks };
        }
    }

    /// <summary>The run's end: a last sample of the processes and of /proc/stat.</summary>
    public void Stop()
    {
        if (_end is not null)
            return;
        Sample();
        _end = MachineTicks.Read();
        _endedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>The machine's CPU from start to <see cref="Stop"/>, per completed order and per message consumed by the services.</summary>
    public CpuBreakdown Breakdown(int orders, long messages)
    {
        Stop();
        var machine = _end!.Value - _start;
        double Percent(long ticks) => 100.0 * ticks / machine.Total;
        var machineMs = machine.Used * 1000 / TicksPerSecond;
        var used = _seen.Values.GroupBy(s => s.Group).ToDictionary(g => g.Key, g => g.Sum(s => s.Last - s.AtStart) * 1000 / TicksPerSecond);
        CpuShare Share(string name, double ms) => new(name, ms, ms / orders, messages > 0 ? ms / messages : null, 100 * ms / machineMs);

        var shares = new List<CpuShare>();
        foreach (var service in _hosts.GroupBy(h => h.Name.Split('#')[0]))
        {
            shares.AddRange(service.Select(h => Share(h.Name, used.GetValueOrDefault(h.Name))));
            if (service.Count() > 1)
                shares.Add(Share($"{service.Key} (sum of {service.Count()})", service.Sum(h => used.GetValueOrDefault(h.Name))));
        }

        shares.AddRange(new[] { PostgreSql, RabbitMq, Driver }.Select(g => Share(g, used.GetValueOrDefault(g))));
        shares.Add(Share(Other, machineMs - used.Values.Sum()));
        var cores = File.ReadLines("/proc/stat").Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && l.Length > 3 && char.IsDigit(l[3]));
        return new CpuBreakdown((_endedAt - _startedAt) / (double)Stopwatch.Frequency, cores, Percent(machine.User), Percent(machine.System),
            Percent(machine.IoWait), Percent(machine.Idle), Percent(machine.Steal), machineMs, machineMs / orders,
            messages > 0 ? machineMs / messages : null, shares);
    }

    /// <summary>Every process of /proc that belongs to a group, with the group.</summary>
    IEnumerable<(ProcessStat Process, string Group)> Grouped()
    {
        var all = new List<ProcessStat>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } stat)
                all.Add(stat);
        }

        var rabbit = all.Where(p => p.Comm == "beam.smp").Select(p => p.Pid).ToHashSet();
        for (var added = true; added;)
        {
            added = false;
            foreach (var process in all.Where(p => rabbit.Contains(p.ParentPid)))
                added |= rabbit.Add(process.Pid);
        }

        var hosts = _hosts.ToDictionary(h => h.Pid, h => h.Name);
        foreach (var process in all)
        {
            var group = hosts.GetValueOrDefault(process.Pid)
                        ?? (process.Pid == Environment.ProcessId ? Driver
                            : process.Comm == "postgres" ? PostgreSql
                            : rabbit.Contains(process.Pid) ? RabbitMq
                            : null);
            if (group is not null)
                yield return (process, group);
        }
    }
}

/// <summary>
/// The machine's CPU over one run of workload E: how busy it was (% of all cores, from /proc/stat) and where the CPU
/// time used (user + system) went, per completed order and per message consumed by the services.
/// </summary>
public sealed record CpuBreakdown(
    double Seconds, int Cores, double UserPercent, double SystemPercent, double IoWaitPercent, double IdlePercent, double StealPercent,
    double MachineCpuMs, double MachineMsPerOrder, double? MachineMsPerMessage, IReadOnlyList<CpuShare> Processes);

/// <summary>One process or group of processes: its CPU time over the run, per order, per message and as % of the machine's CPU time used.</summary>
public sealed record CpuShare(string Name, double CpuMs, double MsPerOrder, double? MsPerMessage, double PercentOfMachine);
