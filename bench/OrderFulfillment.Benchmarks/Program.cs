using System.Diagnostics;
using OrderFulfillment.Benchmarks;
using OrderFulfillment.Benchmarks.Flow;
using OrderFulfillment.Benchmarks.Persistence;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (HelpRequestedException)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
catch (Exception exception) when (exception is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"bench: {exception.Message}\n\n{BenchOptions.Usage}");
    return 2;
}

var started = DateTimeOffset.UtcNow;
OrderFulfillment.Benchmarks.Persistence.BenchDbContext.AutoSavepoints = options.EfAutoSavepoints;
static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
var total = Stopwatch.StartNew();
var report = new Report();
report.Detail("efAutoSavepoints", options.EfAutoSavepoints);
var failures = new List<string>();
Console.Error.WriteLine($"[bench] sections {string.Join(",", options.Sections)}{(options.Quick ? " (quick)" : "")}; repository {Paths.Root}; load average {LoadAverage()}");
report.Detail("loadAverage.start", LoadAverage());

async Task Section(string name, Func<Task> run)
{
    if (!options.Sections.Contains(name))
        return;
    var stopwatch = Stopwatch.StartNew();
    Console.Error.WriteLine($"[bench] == {name}");
    try
    {
        await run();
    }
    catch (Exception exception)
    {
        failures.Add($"{name}: {exception.GetType().Name}: {exception.Message}");
        Console.Error.WriteLine($"[bench] section {name} failed: {exception}");
        report.Add(name, "FAILED", null, "", note: exception.GetType().Name + ": " + exception.Message.Split('\n')[0]);
    }

    report.Detail("seconds." + name, Math.Round(stopwatch.Elapsed.TotalSeconds, 1));
    report.Detail("loadAverage.after." + name, LoadAverage());
    Console.Error.WriteLine($"[bench] == {name} took {stopwatch.Elapsed.TotalSeconds:0} s");
}

await Section("ceilings", () => Ceilings.RunAsync(options, report));
var pgCeiling = report.Value(Ceilings.Section, "PostgreSQL commits/s, 1-row UPDATE tx, 8 connections");
await Section("p", () => WorkloadP.RunAsync(options, report, pgCeiling));
await Section("psweep", () => WorkloadP.SweepAsync(options, report));
await Section("latency", () => WorkloadP.LatencyAsync(options, report));
await Section("e", () => WorkloadE.RunAsync(options, report));

report.Detail("seconds.total", Math.Round(total.Elapsed.TotalSeconds, 1));
report.PrintTable();
var path = report.WriteJson(Path.Combine(Paths.Root, "bench", "results"), started, options, options.Out);
Console.WriteLine($"JSON: {Path.GetRelativePath(Paths.Root, path)}{(options.Out is null ? "" : " and " + options.Out)}; took {total.Elapsed.TotalSeconds:0} s");
var unmet = report.Figures.Count(f => f.Met == false);
Console.WriteLine($"targets: {report.Figures.Count(f => f.Met == true)} met, {unmet} not met");
if (failures.Count > 0)
{
    Console.Error.WriteLine("bench: sections failed:\n  " + string.Join("\n  ", failures));
    return 1;
}

// Targets not met are reported, not failed: CI runs --quick to prove the benchmark works, with no thresholds.
return 0;
