using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.Benchmarks.Flow;

/// <summary>
/// Workload E: both services as real processes (Release), driven through the whole lifecycle to delivered by
/// <see cref="FlowDriver"/>. A saturation run (all orders at once), then a run paced at half the orders/s it reached.
/// </summary>
public static class WorkloadE
{
    public const string Section = "4 workload E";
    const string GrowthSection = "5 growth";

    public sealed record RowCounts(long OutboxRows, long OutboxUndelivered, long InboxRows);

    public sealed record FlowResult(
        int Orders, int Instances, double? PacedOrdersPerSecond, double Seconds, double OrdersPerSecond, double ConsumedPerSecond,
        double DriverPublishedPerSecond, long Consumed, Percentiles ConfirmToPlanning, Percentiles StepToEvent,
        IReadOnlyList<ProcessSampler.ServiceUsage> Usage, IReadOnlyDictionary<string, long> LargestBacklog,
        IReadOnlyDictionary<string, RowCounts> RowsAfterRun, IReadOnlyDictionary<string, RowCounts>? RowsAfterRetention, double RetentionWaitSeconds,
        long ErrorQueueMessages, long DuplicateEvents, Dictionary<string, long> ConsumedPerQueue, string Logs, double FulfillmentsPerOrder,
        CpuBreakdown Cpu);

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var servicesRoot = options.ServicesRoot ?? Paths.Root;
        report.Detail("servicesRoot", servicesRoot);
        var results = new List<FlowResult>();
        var first = true;
        foreach (var instances in options.Instances)
        {
            foreach (var orders in options.Orders)
            {
                var saturation = await RunOnceAsync(options, servicesRoot, orders, instances, null, first && options.Retention);
                results.Add(saturation);
                Add(report, saturation, options);
                if (first && options.HalfSeconds > 0)
                {
                    var halfRate = saturation.OrdersPerSecond / 2;
                    var halfOrders = Math.Max(10, (int)Math.Ceiling(halfRate * options.HalfSeconds));
                    var half = await RunOnceAsync(options, servicesRoot, halfOrders, instances, halfRate, false);
                    results.Add(half);
                    Add(report, half, options);
                }

                first = false;
            }
        }

        Growth(report, results);
        report.Detail("workloadE", results);
    }

    static void Add(Report report, FlowResult r, BenchOptions options)
    {
        var label = r.PacedOrdersPerSecond is { } paced
            ? $"half: {paced:0.0} orders/s paced, N={r.Orders:N0}, {r.Instances}x"
            : $"saturation N={r.Orders:N0}, {r.Instances}x";
        var section = $"{Section} ({label})";
        var half = r.PacedOrdersPerSecond is not null;
        if (!half)
        {
            report.Add(section, "completed orders/s", r.OrdersPerSecond, "orders/s", ">= 12", r.OrdersPerSecond >= 12,
                $"{r.Orders:N0} orders delivered in {r.Seconds:0.0} s; {r.FulfillmentsPerOrder:0.#} fulfillments/order");
            report.Add(section, "messages consumed by the services/s", r.ConsumedPerSecond, "msg/s",
                note: $"{r.Consumed:N0} acked on the services' queues ({r.Consumed / (double)r.Orders:0.0}/order)");
            report.Add(section, "inbound (driver-published) messages/s", r.DriverPublishedPerSecond, "msg/s");
        }
        else
        {
            report.Add(section, "completed orders/s (paced)", r.OrdersPerSecond, "orders/s", note: $"{r.Orders:N0} orders in {r.Seconds:0.0} s");
        }

        var cpu = r.Cpu;
        report.Add(section, "machine CPU busy (user + system)", cpu.UserPercent + cpu.SystemPercent, "% of all cores",
            note: $"user {cpu.UserPercent:0.0}, system {cpu.SystemPercent:0.0}, iowait {cpu.IoWaitPercent:0.0}, idle {cpu.IdlePercent:0.0}, " +
                  $"steal {cpu.StealPercent:0.0} % of {cpu.Cores} cores, {cpu.Seconds:0.0} s");
        report.Add(section, "CPU/order: machine", cpu.MachineMsPerOrder, "ms/order",
            note: $"{Report.Format(cpu.MachineMsPerMessage, "ms")} ms/message; {cpu.MachineCpuMs / 1000:0.0} s CPU, {r.Consumed:N0} messages consumed");
        foreach (var share in cpu.Processes)
        {
            report.Add(section, $"CPU/order: {share.Name}", share.MsPerOrder, "ms/order",
                note: $"{Report.Format(share.MsPerMessage, "ms")} ms/message, {share.PercentOfMachine:0.0}% of the machine's CPU, {share.CpuMs / 1000:0.0} s");
        }

        report.Add(section, "order.confirmed → first planning p50", r.ConfirmToPlanning.P50, "ms", note: $"{r.ConfirmToPlanning.Count:N0} orders");
        report.Add(section, "order.confirmed → first planning p95", r.ConfirmToPlanning.P95, "ms");
        report.Add(section, "order.confirmed → first planning p99", r.ConfirmToPlanning.P99, "ms");
        report.Add(section, "warehouse step → status_changed p50", r.StepToEvent.P50, "ms", note: $"{r.StepToEvent.Count:N0} steps");
        report.Add(section, "warehouse step → status_changed p95", r.StepToEvent.P95, "ms");
        report.Add(section, "warehouse step → status_changed p99", r.StepToEvent.P99, "ms",
            half ? "< 100 ms" : null, half ? r.StepToEvent.P99 < 100 : null, $"max {r.StepToEvent.Max:0} ms");
        foreach (var usage in r.Usage)
        {
            report.Add(section, $"{usage.Name} peak RSS (VmHWM)", usage.PeakRssMb, "MB", "< 200 MB", usage.PeakRssMb < 200,
                $"RSS {usage.RssAtStartMb:0} MB when the run began; at its highest {usage.BreakdownAtMax}" + (r.Orders >= 20_000 ? "" : "; target is for N=20,000"));
            report.Add(section, $"{usage.Name} CPU", usage.CpuSeconds / r.Seconds * 100, "% of a core",
                note: $"{usage.CpuSeconds:0.0} s CPU, {usage.CpuSeconds * 1000 / r.Orders:0.0} ms/order, busiest second {usage.PeakCpuPercent:0}%");
        }

        foreach (var (database, backlog) in r.LargestBacklog)
            report.Add(section, $"{database}: largest outbox backlog", backlog, "rows", note: "undelivered rows, polled every 200 ms");
        foreach (var (database, rows) in r.RowsAfterRun)
        {
            var after = r.RowsAfterRetention?.GetValueOrDefault(database);
            report.Add(section, $"{database}: outbox rows after run", rows.OutboxRows, "rows", note: $"{rows.OutboxUndelivered} undelivered");
            if (after is not null)
                report.Add(section, $"{database}: outbox rows after retention", after.OutboxRows, "rows", "falls (to 0)",
                    after.OutboxRows < rows.OutboxRows || after.OutboxRows == 0, $"after {r.RetentionWaitSeconds:0} s");
            report.Add(section, $"{database}: inbox rows after run", rows.InboxRows, "rows");
            if (after is not null)
                report.Add(section, $"{database}: inbox rows after retention", after.InboxRows, "rows", "falls (to 0)",
                    after.InboxRows < rows.InboxRows || after.InboxRows == 0, $"after {r.RetentionWaitSeconds:0} s");
        }

        report.Add(section, "messages in error queues", r.ErrorQueueMessages, "msgs", "0", r.ErrorQueueMessages == 0,
            r.DuplicateEvents > 0 ? $"{r.DuplicateEvents} duplicate events seen (at-least-once)" : null);
        _ = options;
    }

    static void Growth(Report report, List<FlowResult> results)
    {
        var saturation = results.Where(r => r.PacedOrdersPerSecond is null).ToList();
        foreach (var group in saturation.GroupBy(r => r.Instances))
        {
            var baseline = group.MinBy(r => r.Orders)!;
            foreach (var larger in group.Where(r => r.Orders > baseline.Orders))
            {
                var ratio = larger.OrdersPerSecond / baseline.OrdersPerSecond;
                report.Add(GrowthSection, $"orders/s N={larger.Orders:N0} vs N={baseline.Orders:N0} ({group.Key}x)", ratio, "ratio", ">= 0.85 (within 15%)",
                    ratio >= 0.85, $"{larger.OrdersPerSecond:0.0} vs {baseline.OrdersPerSecond:0.0} orders/s");
                foreach (var usage in larger.Usage)
                {
                    var before = baseline.Usage.FirstOrDefault(u => u.Name == usage.Name);
                    if (before is null)
                        continue;
                    report.Add(GrowthSection, $"{usage.Name} CPU ms/order N={larger.Orders:N0} vs N={baseline.Orders:N0}",
                        usage.CpuSeconds / larger.Orders / (before.CpuSeconds / baseline.Orders), "ratio",
                        note: $"{usage.CpuSeconds * 1000 / larger.Orders:0.0} vs {before.CpuSeconds * 1000 / baseline.Orders:0.0} ms/order");
                }
            }
        }

        foreach (var group in saturation.GroupBy(r => r.Orders))
        {
            var one = group.FirstOrDefault(r => r.Instances == 1);
            foreach (var more in group.Where(r => r.Instances > 1))
            {
                if (one is null)
                    continue;
                report.Add(GrowthSection, $"orders/s {more.Instances} instances vs 1 (N={group.Key:N0})", more.OrdersPerSecond / one.OrdersPerSecond, "ratio",
                    note: $"{more.OrdersPerSecond:0.0} vs {one.OrdersPerSecond:0.0} orders/s");
            }
        }
    }

    static async Task<FlowResult> RunOnceAsync(BenchOptions options, string servicesRoot, int orders, int instances, double? pacedRate,
        bool waitForRetention)
    {
        var kind = pacedRate is null ? "sat" : "half";
        Console.Error.WriteLine($"[bench] E {kind}: {orders:N0} orders, {instances} instance(s) of each service" +
                                (pacedRate is { } r ? $", paced at {r:0.00} orders/s" : ""));
        await using var scope = await RunScope.CreateAsync($"e{kind}{instances}", options.Keep);
        var orderDb = Infra.Database(scope.DatabaseName("orders"));
        var fulfillmentDb = Infra.Database(scope.DatabaseName("fulfillments"));
        var (delivered, inbox, cleanup) = options.Quick
            ? (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2))
            : (TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5));
        var environment = new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = Infra.RabbitHost,
            ["RabbitMq__Port"] = Infra.RabbitPort.ToString(CultureInfo.InvariantCulture),
            ["RabbitMq__VirtualHost"] = scope.VirtualHost,
            ["RabbitMq__Username"] = Infra.RabbitUser,
            ["RabbitMq__Password"] = Infra.RabbitPassword,
            ["ConnectionStrings__OrderDb"] = orderDb,
            ["ConnectionStrings__FulfillmentDb"] = fulfillmentDb,
            ["WarehouseRouting__DefaultWarehouse"] = "WH-CENTRAL",
            // As scripts/run.sh and the Dockerfiles start the services: no double mapping of generated code, a 128 MB
            // managed-heap limit, and glibc's allocator giving freed memory back (docs/operations.md, "Memory").
            ["DOTNET_EnableWriteXorExecute"] = "0",
            ["DOTNET_GCHeapHardLimit"] = "0x8000000",
            ["MALLOC_ARENA_MAX"] = "2",
            ["MALLOC_MMAP_THRESHOLD_"] = "65536",
            ["MALLOC_TRIM_THRESHOLD_"] = "131072",
        };
        // The retention check shortens the retention windows so that it sees cleanup at work; every other run uses the
        // services' defaults (delivered outbox rows deleted as they are delivered).
        if (waitForRetention)
        {
            environment["Outbox__DeliveredRetention"] = delivered.ToString("c", CultureInfo.InvariantCulture);
            environment["Outbox__InboxRetention"] = inbox.ToString("c", CultureInfo.InvariantCulture);
            environment["Outbox__CleanupInterval"] = cleanup.ToString("c", CultureInfo.InvariantCulture);
        }

        foreach (var variable in new[] { "BENCH_SERVICE_ENV" })
        {
            // Extra settings for the services, e.g. BENCH_SERVICE_ENV="DOTNET_gcServer=0;RabbitMq__PrefetchCount=64".
            foreach (var pair in (Environment.GetEnvironmentVariable(variable) ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split('=', 2);
                if (parts.Length == 2)
                    environment[parts[0].Trim()] = parts[1].Trim();
            }
        }

        var logs = Path.Combine(Path.GetTempPath(), "orderfulfillment-bench", scope.Id);
        var hosts = new List<ServiceHost>();
        try
        {
            for (var i = 1; i <= instances; i++)
            {
                // The two services have databases of their own: they start (and migrate) side by side; further instances
                // start once the first ones have migrated.
                var order = ServiceHost.StartAsync($"order-service#{i}", servicesRoot, "OrderFulfillment.OrderService", environment, logs);
                var fulfillment = ServiceHost.StartAsync($"fulfillment-service#{i}", servicesRoot, "OrderFulfillment.FulfillmentService", environment, logs);
                try
                {
                    await Task.WhenAll(order, fulfillment);
                }
                finally
                {
                    foreach (var started in new[] { order, fulfillment })
                    {
                        if (started.IsCompletedSuccessfully)
                            hosts.Add(started.Result);
                    }
                }
            }

            await using var driver = await FlowDriver.StartAsync(scope.VirtualHost);
            var prefix = $"B{scope.Id[^6..].ToUpperInvariant()}";

            // Warm-up (JIT, pools): a few orders through the whole lifecycle, not measured.
            var warmup = options.Quick ? 3 : 20;
            driver.BeginMeasurement(warmup);
            for (var i = 1; i <= warmup; i++)
                await driver.ConfirmOrderAsync($"{prefix}-W{i:D3}", options.UnassignedSku);
            await driver.WaitAllDeliveredAsync(TimeSpan.FromMinutes(3), () => ServiceState(hosts));
            // Messages consumed by the services (for msg/s and CPU per message); the management API's statistics lag by up to 5 s.
            await Task.Delay(5500);
            var ackedBefore = await Infra.AckedPerQueueAsync(scope.VirtualHost);

            await using var sampler = new ProcessSampler(hosts);
            await using var backlog = new BacklogPoller(new Dictionary<string, string> { ["order-db"] = orderDb, ["fulfillment-db"] = fulfillmentDb });
            driver.BeginMeasurement(orders);
            var publishedBefore = driver.Published;
            var fulfillmentsBefore = driver.FulfillmentsSeen;
            var start = Stopwatch.GetTimestamp();
            if (pacedRate is { } rate)
            {
                for (var i = 0; i < orders; i++)
                {
                    var due = start + (long)(i * Stopwatch.Frequency / rate);
                    var wait = (due - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
                    if (wait > 1)
                        await Task.Delay(TimeSpan.FromMilliseconds(wait));
                    await driver.ConfirmOrderAsync($"{prefix}-{i:D6}", options.UnassignedSku);
                }
            }
            else
            {
                for (var i = 0; i < orders; i++)
                    await driver.ConfirmOrderAsync($"{prefix}-{i:D6}", options.UnassignedSku);
            }

            var timeout = TimeSpan.FromSeconds(180 + orders * (pacedRate is { } pr ? 1.5 / pr : 1.0));
            await driver.WaitAllDeliveredAsync(timeout, () => $"{backlog.Describe()}; {ServiceState(hosts)}");
            var seconds = (driver.LastDeliveredAt - start) / (double)Stopwatch.Frequency;
            var usage = sampler.Stop();
            var largest = backlog.Stop();
            var published = driver.Published - publishedBefore;
            var fulfillments = driver.FulfillmentsSeen - fulfillmentsBefore;
            var (confirmToPlanning, stepToEvent) = driver.Latencies();

            await Task.Delay(5500);
            var ackedAfter = await Infra.AckedPerQueueAsync(scope.VirtualHost);
            var consumedPerQueue = ackedAfter.Where(q => q.Key != "bench-observer")
                .ToDictionary(q => q.Key, q => q.Value - ackedBefore.GetValueOrDefault(q.Key));
            var consumed = consumedPerQueue.Values.Sum();
            var cpu = sampler.Cpu.Breakdown(orders, consumed);

            var databases = new Dictionary<string, string> { ["order-db"] = orderDb, ["fulfillment-db"] = fulfillmentDb };
            var rowsAfterRun = await CountRowsAsync(databases);
            Dictionary<string, RowCounts>? rowsAfterRetention = null;
            var waited = 0.0;
            if (waitForRetention)
            {
                var wait = Stopwatch.StartNew();
                var limit = inbox + cleanup * 2 + TimeSpan.FromSeconds(10);
                Console.Error.WriteLine($"[bench] E: waiting up to {limit.TotalSeconds:0} s for outbox/inbox retention " +
                                        $"(delivered {delivered.TotalSeconds:0} s, inbox {inbox.TotalSeconds:0} s, cleanup every {cleanup.TotalSeconds:0} s)");
                do
                {
                    await Task.Delay(cleanup);
                    rowsAfterRetention = await CountRowsAsync(databases);
                } while (wait.Elapsed < limit && rowsAfterRetention.Values.Any(r => r.OutboxRows > 0 || r.InboxRows > 0));

                waited = wait.Elapsed.TotalSeconds;
            }

            var errors = await ErrorQueueMessagesAsync(scope.VirtualHost);
            var exited = hosts.Where(h => h.HasExited).Select(h => h.Name).ToList();
            if (exited.Count > 0)
                throw new InvalidOperationException($"service(s) exited during the run: {string.Join(", ", exited)}; logs in {logs}");

            return new FlowResult(orders, instances, pacedRate, seconds, orders / seconds, consumed / seconds, published / seconds, consumed,
                confirmToPlanning, stepToEvent, usage, largest, rowsAfterRun, rowsAfterRetention, waited, errors, driver.DuplicateEvents,
                consumedPerQueue, logs, fulfillments / (double)orders, cpu);
        }
        catch (Exception)
        {
            foreach (var host in hosts)
                Console.Error.WriteLine($"[bench] --- {host.Name} log tail ({host.LogPath}):\n{host.Tail(25)}");
            throw;
        }
        finally
        {
            foreach (var host in hosts)
                await host.DisposeAsync();
        }
    }

    static string ServiceState(IEnumerable<ServiceHost> hosts) =>
        string.Join(", ", hosts.Select(h => h.HasExited ? $"{h.Name} EXITED" : $"{h.Name} {h.Sample()?.RssMb ?? 0:0} MB"));

    static async Task<Dictionary<string, RowCounts>> CountRowsAsync(Dictionary<string, string> databases)
    {
        var result = new Dictionary<string, RowCounts>();
        foreach (var (name, connectionString) in databases)
        {
            result[name] = new RowCounts(
                await Infra.ScalarAsync(connectionString, $"SELECT count(*) FROM {TransactionalOutboxTables.OutboxMessage}"),
                await Infra.ScalarAsync(connectionString, $"SELECT count(*) FROM {TransactionalOutboxTables.OutboxMessage} WHERE delivered_at IS NULL"),
                await Infra.ScalarAsync(connectionString, $"SELECT count(*) FROM {TransactionalOutboxTables.InboxMessage}"));
        }

        return result;
    }

    static async Task<long> ErrorQueueMessagesAsync(string vhost)
    {
        using var http = Infra.Management();
        using var document = JsonDocument.Parse(await http.GetStringAsync($"api/queues/{Uri.EscapeDataString(vhost)}?columns=name,messages"));
        return document.RootElement.EnumerateArray()
            .Where(q => q.GetProperty("name").GetString() is { } name &&
                        (name.EndsWith("_error", StringComparison.Ordinal) || name.EndsWith("_skipped", StringComparison.Ordinal)))
            .Sum(q => q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0);
    }

    /// <summary>Polls each service database's undelivered outbox rows every 200 ms and keeps the largest count.</summary>
    sealed class BacklogPoller : IAsyncDisposable
    {
        readonly Dictionary<string, long> _largest = [];
        readonly Dictionary<string, long> _last = [];
        readonly CancellationTokenSource _stop = new();
        readonly Task _loop;

        public BacklogPoller(Dictionary<string, string> databases)
        {
            foreach (var name in databases.Keys)
                _largest[name] = _last[name] = 0;
            _loop = Task.Run(() => LoopAsync(databases));
        }

        async Task LoopAsync(Dictionary<string, string> databases)
        {
            var connections = new List<(string Name, NpgsqlConnection Connection, NpgsqlCommand Command)>();
            try
            {
                foreach (var (name, connectionString) in databases)
                {
                    var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
                    await connection.OpenAsync();
                    connections.Add((name, connection, new NpgsqlCommand($"SELECT count(*) FROM {TransactionalOutboxTables.OutboxMessage} WHERE delivered_at IS NULL", connection)));
                }

                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    foreach (var (name, _, command) in connections)
                    {
                        var count = Convert.ToInt64(await command.ExecuteScalarAsync(_stop.Token), CultureInfo.InvariantCulture);
                        lock (_largest)
                        {
                            _last[name] = count;
                            _largest[name] = Math.Max(_largest[name], count);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (NpgsqlException exception)
            {
                Console.Error.WriteLine($"[bench] backlog poll failed: {exception.Message}");
            }
            finally
            {
                foreach (var (_, connection, command) in connections)
                {
                    await command.DisposeAsync();
                    await connection.DisposeAsync();
                }
            }
        }

        public string Describe()
        {
            lock (_largest)
                return "outbox backlog " + string.Join(", ", _last.Select(p => $"{p.Key} {p.Value} (max {_largest[p.Key]})"));
        }

        public IReadOnlyDictionary<string, long> Stop()
        {
            _stop.Cancel();
            lock (_largest)
                return new Dictionary<string, long>(_largest);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }
}
