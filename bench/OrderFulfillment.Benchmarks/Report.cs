using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace OrderFulfillment.Benchmarks;

/// <summary>One figure of the run: printed as a table row and written to the JSON file.</summary>
public sealed record Figure(string Section, string Metric, double? Value, string Unit, string? Target = null, bool? Met = null, string? Note = null);

/// <summary>All figures of a run, the table and the JSON.</summary>
public sealed class Report
{
    readonly List<Figure> _figures = [];
    readonly Dictionary<string, object?> _details = [];

    public IReadOnlyList<Figure> Figures => _figures;

    public Figure Add(string section, string metric, double? value, string unit, string? target = null, bool? met = null, string? note = null)
    {
        var figure = new Figure(section, metric, value is { } v && (double.IsNaN(v) || double.IsInfinity(v)) ? null : value, unit, target, met, note);
        lock (_figures)
            _figures.Add(figure);
        Console.Error.WriteLine($"[bench] {section} | {metric}: {Format(figure.Value, unit)} {unit}{(note is null ? "" : " (" + note + ")")}");
        return figure;
    }

    public void Detail(string key, object? value)
    {
        lock (_details)
            _details[key] = value;
    }

    public double? Value(string section, string metric) => _figures.LastOrDefault(f => f.Section == section && f.Metric == metric)?.Value;

    public void PrintTable()
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            AnsiConsole.Profile.Width = 220;
        var table = new Table().Border(TableBorder.Rounded).Title("OrderFulfillment benchmark");
        table.AddColumn("section");
        table.AddColumn("metric");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddColumn("unit");
        table.AddColumn("target");
        table.AddColumn("met");
        table.AddColumn("note");
        foreach (var f in _figures)
        {
            var met = f.Met switch { true => "[green]met[/]", false => "[red]NOT MET[/]", null => "" };
            table.AddRow(Markup.Escape(f.Section), Markup.Escape(f.Metric), Format(f.Value, f.Unit), Markup.Escape(f.Unit),
                Markup.Escape(f.Target ?? ""), met, Markup.Escape(f.Note ?? ""));
        }

        AnsiConsole.Write(table);
    }

    public static string Format(double? value, string unit) => value switch
    {
        null => "-",
        var v when unit is "ratio" => v.Value.ToString("0.00", CultureInfo.InvariantCulture),
        var v when Math.Abs(v.Value) >= 100 => v.Value.ToString("#,0", CultureInfo.InvariantCulture),
        var v when Math.Abs(v.Value) >= 10 => v.Value.ToString("0.0", CultureInfo.InvariantCulture),
        var v => v.Value.ToString("0.00", CultureInfo.InvariantCulture),
    };

    public string WriteJson(string directory, DateTimeOffset started, BenchOptions options, string? alsoTo)
    {
        Directory.CreateDirectory(directory);
        var document = new
        {
            started = started.UtcDateTime,
            finished = DateTime.UtcNow,
            arguments = options.Arguments,
            quick = options.Quick,
            machine = new
            {
                Environment.ProcessorCount,
                os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                memoryMb = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024),
            },
            commit = GitCommit(),
            figures = _figures,
            details = _details,
        };
        var json = JsonSerializer.Serialize(document, JsonOptions);
        var path = Path.Combine(directory, started.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + ".json");
        File.WriteAllText(path, json);
        if (alsoTo is not null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(alsoTo));
            if (dir is not null)
                Directory.CreateDirectory(dir);
            File.WriteAllText(alsoTo, json);
        }

        return path;
    }

    static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    static string? GitCommit()
    {
        try
        {
            var head = Path.Combine(Paths.Root, ".git", "HEAD");
            if (!File.Exists(head))
                return null;
            var text = File.ReadAllText(head).Trim();
            if (!text.StartsWith("ref: ", StringComparison.Ordinal))
                return text;
            var reference = Path.Combine(Paths.Root, ".git", text[5..]);
            if (File.Exists(reference))
                return File.ReadAllText(reference).Trim();
            var packed = Path.Combine(Paths.Root, ".git", "packed-refs");
            return File.Exists(packed)
                ? File.ReadLines(packed).FirstOrDefault(l => l.EndsWith(" " + text[5..], StringComparison.Ordinal))?.Split(' ')[0]
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>Percentiles (nearest rank) of a set of latencies in milliseconds.</summary>
public sealed record Percentiles(int Count, double P50, double P95, double P99, double Max)
{
    public static Percentiles Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return new Percentiles(0, double.NaN, double.NaN, double.NaN, double.NaN);
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(sorted.Length, At(0.50), At(0.95), At(0.99), sorted[^1]);
    }
}

/// <summary>Where the repository is (found from the program's own location or the working directory).</summary>
public static class Paths
{
    public static string Root { get; } = Find();

    static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "OrderFulfillment.sln")))
                    return dir.FullName;
        }

        throw new InvalidOperationException("OrderFulfillment.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A service's Release build under <paramref name="root"/>, this repository or another checkout (<c>--services-root</c>).</summary>
    public static string ServiceDll(string root, string project)
    {
        var dll = Path.Combine(root, "src", project, "bin", "Release", "net10.0", project + ".dll");
        var build = root == Root ? "(scripts/bench.sh does)" : $"(dotnet build {Path.Combine(root, "OrderFulfillment.sln")} -c Release)";
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build the solution in Release first {build}", dll);
    }
}
