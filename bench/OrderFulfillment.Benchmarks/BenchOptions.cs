using System.Globalization;

namespace OrderFulfillment.Benchmarks;

/// <summary>The command line of the benchmark (see <see cref="Usage"/>).</summary>
public sealed class BenchOptions
{
    public const string Usage = """
        OrderFulfillment benchmark (issue 7). Prints one table and writes the figures as JSON under bench/results/.

          --quick                 small sizes: the whole run takes a few minutes (CI runs this)
          --only LIST             sections, comma-separated: ceilings,p,latency,e (default: all four);
                                  also psweep (workload P over prefetch/concurrency pairs, not in the default)
          --sagas S --steps K     workload P size (default 1000 x 5; quick 100 x 5)
          --prefetch N            workload P prefetch (default 32)
          --concurrency N         workload P concurrent message limit (default 16)
          --p-variants LIST       workload P variants: outbox,repository,memory (default: all three)
          --ef-autosavepoints on|off  workload P: EF Core automatic savepoints in the bench DbContext (default on, as
                                  the library does today; off shows what turning them off in the library would gain)
          --p-order step|saga     pre-published order: step = step k of every saga before step k+1 (default);
                                  saga = a saga's K steps back to back (same-saga contention)
          --rate R                outbox latency: publish rate, msg/s (default 200)
          --latency-seconds T     outbox latency: paced seconds (default 30; quick 5)
          --orders N[,N...]       workload E orders per run (default 2000; quick 50); several N = growth runs
          --unassigned-sku SKU    workload E: the sku of each order's line without a warehouse (default SKU-3, routed to
                                  the default warehouse WH-CENTRAL: 3 fulfillments per order; SKU-E1 goes to WH-EAST: 2)
          --instances I[,I...]    workload E instances of each service (default 1); several = growth runs
          --half-seconds T        workload E half-saturation run length (default 90; quick 12); 0 = no half run
          --retention on|off      workload E: wait for outbox/inbox retention after the first run (default on)
          --services-root PATH    workload E: the services' DLLs from another checkout (default: this repository),
                                  PATH/src/<Service>/bin/Release/net10.0/<Service>.dll, built there in Release first
                                  (scripts/bench.sh builds this repository only); e.g. an older build for a before/after
                                  comparison. scripts/bench.sh runs from the repository root: a relative PATH starts there
          --ceiling-seconds T     PostgreSQL ceiling duration per setting (default 10; quick 3)
          --rabbit-messages N     RabbitMQ ceiling: messages published and consumed (default 30000; quick 5000)
          --out PATH              also write the JSON to PATH
          --keep                  keep vhosts and databases (debugging)
        """;

    public bool Quick { get; private set; }
    public HashSet<string> Sections { get; private set; } = ["ceilings", "p", "latency", "e"];
    public int Sagas { get; private set; } = 1000;
    public int Steps { get; private set; } = 5;
    public int Prefetch { get; private set; } = 32;
    public int Concurrency { get; private set; } = 16;
    public string POrder { get; private set; } = "step";
    public bool EfAutoSavepoints { get; private set; } = true;
    public HashSet<string> PVariants { get; private set; } = ["outbox", "repository", "memory"];
    public int Rate { get; private set; } = 200;
    public double LatencySeconds { get; private set; } = 30;
    public IReadOnlyList<int> Orders { get; private set; } = [2000];
    public IReadOnlyList<int> Instances { get; private set; } = [1];
    public string UnassignedSku { get; private set; } = "SKU-3";
    public double HalfSeconds { get; private set; } = 90;
    public bool Retention { get; private set; } = true;
    public string? ServicesRoot { get; private set; } // null: this repository
    public double CeilingSeconds { get; private set; } = 10;
    public int RabbitMessages { get; private set; } = 30_000;
    public string? Out { get; private set; }
    public bool Keep { get; private set; }
    public IReadOnlyList<string> Arguments { get; private set; } = [];

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions { Arguments = args };
        if (args.Contains("--quick"))
        {
            o.Quick = true;
            o.Sagas = 100;
            o.LatencySeconds = 5;
            o.Orders = [50];
            o.HalfSeconds = 12;
            o.CeilingSeconds = 3;
            o.RabbitMessages = 5_000;
        }

        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            double Dbl() => double.Parse(Value(), CultureInfo.InvariantCulture);
            IReadOnlyList<int> Ints() => [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture))];
            switch (args[i])
            {
                case "--quick": break;
                case "--only": o.Sections = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim().ToLowerInvariant())]; break;
                case "--sagas": o.Sagas = Int(); break;
                case "--steps": o.Steps = Int(); break;
                case "--prefetch": o.Prefetch = Int(); break;
                case "--concurrency": o.Concurrency = Int(); break;
                case "--p-variants": o.PVariants = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries)]; break;
                case "--ef-autosavepoints": o.EfAutoSavepoints = Value() != "off"; break;
                case "--p-order": o.POrder = Value() is "saga" ? "saga" : "step"; break;
                case "--rate": o.Rate = Int(); break;
                case "--latency-seconds": o.LatencySeconds = Dbl(); break;
                case "--orders": o.Orders = Ints(); break;
                case "--unassigned-sku": o.UnassignedSku = Value(); break;
                case "--instances": o.Instances = Ints(); break;
                case "--half-seconds": o.HalfSeconds = Dbl(); break;
                case "--retention": o.Retention = Value() != "off"; break;
                case "--services-root": o.ServicesRoot = Path.GetFullPath(Value()); break;
                case "--ceiling-seconds": o.CeilingSeconds = Dbl(); break;
                case "--rabbit-messages": o.RabbitMessages = Int(); break;
                case "--out": o.Out = Value(); break;
                case "--keep": o.Keep = true; break;
                case "-h" or "--help": throw new HelpRequestedException();
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        var unknown = o.Sections.Except(["ceilings", "p", "latency", "e", "psweep"]).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown section(s) {string.Join(",", unknown)}");
        return o;
    }
}

public sealed class HelpRequestedException : Exception;
