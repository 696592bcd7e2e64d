using System.Diagnostics;
using System.Net;
using Npgsql;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>
/// The services' databases sit on a volume that fills up while a WMS reports the steps of 10 two-warehouse orders:
/// PostgreSQL refuses every write that needs new disk space (<c>53100</c>, could not extend file) and still answers reads.
/// The services pause (not ready, one warning), resume when a write succeeds again (one warning), and apply every step
/// in order; nothing is dead-lettered.
/// </summary>
/// <remarks>
/// The volume is a 64 MB tmpfs holding the tablespace <c>diskfull</c> of a PostgreSQL cluster of the test's own
/// (<c>DISKFULL_PG_PORT</c>, default 5435), which <c>scripts/diskfull-postgres.sh</c> sets up, fills with a filler file,
/// frees and takes down. The WAL stays on the big disk: this is a full data volume, not a full WAL volume (PANIC).
/// </remarks>
[Trait("Category", "Integration")]
public sealed class DatabaseDiskFullTests(ITestOutputHelper output)
{
    const int Orders = 10;
    static readonly TimeSpan Full = TimeSpan.FromSeconds(45);
    static readonly TimeSpan StepInterval = TimeSpan.FromSeconds(8);
    static readonly string[] Steps =
        ["warehouse.picking_started", "warehouse.picked", "warehouse.packing_started", "warehouse.packed", "warehouse.ready_to_ship", "warehouse.shipped", "warehouse.completed"];
    const string PausedLine = "Database cannot write, disk full";
    const string ResumedLine = "Database writes again after";
    const string DeadLetterLine = "OrderFulfillment.DeadLetters";

    static string Port => Environment.GetEnvironmentVariable("DISKFULL_PG_PORT") is { Length: > 0 } p ? p : "5435";
    static string Server => $"Host=127.0.0.1;Port={Port};Username={Env("PGUSER", "orderfulfillment")};Password={Env("PGPASSWORD", "orderfulfillment")}";

    [Fact]
    public async Task Database_disk_full_mid_burst_pauses_consumption_until_writes_succeed_and_dead_letters_nothing()
    {
        output.WriteLine(await FaultChecks.RunScriptAsync("diskfull-postgres.sh", "up"));
        var prefix = "DF" + Guid.NewGuid().ToString("N")[..6];
        var databases = new[] { $"diskfull_{prefix.ToLowerInvariant()}_orders", $"diskfull_{prefix.ToLowerInvariant()}_fulfillments" };
        try
        {
            await CreateDatabasesOnTheSmallVolumeAsync(databases);
            await using var system = await SystemUnderTest.StartAsync("dbfull", environment =>
            {
                environment["ConnectionStrings__OrderDb"] = $"{Server};Database={databases[0]}";
                environment["ConnectionStrings__FulfillmentDb"] = $"{Server};Database={databases[1]}";
            });
            await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
            var orderIds = Enumerable.Range(1, Orders).Select(i => $"{prefix}-{i:D3}").ToList();
            foreach (var orderId in orderIds)
                await system.Amqp.PublishAsync("order.confirmed", new
                {
                    orderId,
                    confirmedAt = DateTimeOffset.UtcNow,
                    lines = new object[] { new { sku = "SKU-1", quantity = 2, warehouseId = "WH-EAST" }, new { sku = "SKU-2", quantity = 1, warehouseId = "WH-WEST" } },
                }, $"checkout-{orderId}");
            await events.WaitForAsync(e => FulfillmentsAt(e, "planning").Count == Orders * 2, TimeSpan.FromMinutes(1), "every fulfillment planning");
            var fulfillmentIds = FulfillmentsAt(events.Events, "planning");

            // One round of steps every 8 s; the volume fills right after the first round, so the other six arrive while
            // no write that needs a new page can succeed.
            var publishedWhileFull = 0;
            var full = false;
            var fullClock = new Stopwatch();
            var fillReport = "";
            var publisher = Task.Run(async () =>
            {
                foreach (var step in Steps)
                {
                    foreach (var fulfillmentId in fulfillmentIds)
                    {
                        object body = step == "warehouse.shipped"
                            ? new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow, carrier = "UPS", trackingNumber = "1Z" + fulfillmentId[..8] }
                            : new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow };
                        await system.Amqp.PublishAsync(step, body, $"{step}:{fulfillmentId}");
                        if (Volatile.Read(ref full))
                            Interlocked.Increment(ref publishedWhileFull);
                    }

                    if (step == Steps[0])
                    {
                        fillReport = await FaultChecks.RunScriptAsync("diskfull-postgres.sh", "fill");
                        fullClock.Start();
                        Volatile.Write(ref full, true);
                    }

                    if (step != Steps[^1])
                        await Task.Delay(StepInterval);
                }
            });

            // While full: the fulfillment service (whose steps keep coming) stops being ready once its retries run out.
            await AmqpMessages.UntilAsync(() => Volatile.Read(ref full), TimeSpan.FromSeconds(30), "the volume filled");
            TimeSpan? notReadyAfter = null;
            (HttpStatusCode Status, string Body) readiness = default;
            while (fullClock.Elapsed < Full)
            {
                readiness = await FaultChecks.ReadinessAsync(system.Fulfillments);
                if (readiness.Status == HttpStatusCode.ServiceUnavailable)
                {
                    notReadyAfter ??= fullClock.Elapsed;
                    break;
                }

                await Task.Delay(500);
            }

            await Task.Delay(Full > fullClock.Elapsed ? Full - fullClock.Elapsed : TimeSpan.Zero);
            await publisher;
            Volatile.Write(ref full, false);
            var freeReport = await FaultChecks.RunScriptAsync("diskfull-postgres.sh", "free");
            var freed = Stopwatch.StartNew();
            var fullFor = fullClock.Elapsed;

            await events.WaitForAsync(e => FulfillmentsAt(e, "completed").Count == Orders * 2, TimeSpan.FromMinutes(3),
                "every fulfillment completed after space returned");
            var lastEvent = freed.Elapsed;
            await FaultChecks.WaitUntilReadyAsync(TimeSpan.FromSeconds(30), system.Orders, system.Fulfillments);

            var problems = FaultChecks.NotAnnouncedInOrder(events.Events, fulfillmentIds);

            problems.AddRange(await FaultChecks.IncompleteHistoriesAsync(system.Fulfillments, fulfillmentIds));
            using var management = TestInfrastructure.ManagementClient();
            var errorQueues = await FaultChecks.ErrorQueueMessagesAsync(management, system.Infrastructure.VirtualHost, system.Amqp);
            var services = new[] { ("order service", system.Orders), ("fulfillment service", system.Fulfillments) };
            var logLines = services.Select(s => (Service: s.Item1, Paused: FaultChecks.LogLines(s.Item2, PausedLine),
                Resumed: FaultChecks.LogLines(s.Item2, ResumedLine), Retries: FaultChecks.LogLines(s.Item2, "53100").Count,
                DeadLetters: FaultChecks.LogLines(s.Item2, DeadLetterLine).Count)).ToList();

            output.WriteLine($"{fillReport}; {freeReport}");
            output.WriteLine($"database disk full: tablespace on a full tmpfs for {fullFor.TotalSeconds:0.0} s; " +
                             $"messages published while full {publishedWhileFull}; fulfillment service not ready " +
                             $"{(notReadyAfter is { } after ? $"{after.TotalSeconds:0.0} s after the fill ({readiness.Body})" : "never")}; " +
                             $"messages in error queues afterwards {errorQueues}; from space freed to the last event {lastEvent.TotalSeconds:0.0} s; " +
                             $"fulfillments complete and in order {fulfillmentIds.Count - problems.Select(p => p.Split(' ')[0]).Distinct().Count()} of {fulfillmentIds.Count}");
            foreach (var (service, paused, resumed, retries, deadLetters) in logLines)
            {
                output.WriteLine($"{service}: {retries} lines naming 53100 (retries and the pause), {deadLetters} dead-letter lines");
                output.WriteLine($"{service}: {string.Join(" | ", paused)}");
                output.WriteLine($"{service}: {string.Join(" | ", resumed)}");
            }

            Assert.Empty(problems);
            Assert.Equal(0, errorQueues);
            Assert.Equal((Steps.Length - 1) * fulfillmentIds.Count, publishedWhileFull);
            Assert.NotNull(notReadyAfter);
            foreach (var (service, paused, resumed, _, deadLetters) in logLines)
            {
                Assert.True(deadLetters == 0, $"{service}: {deadLetters} dead-letter lines");
                Assert.True(paused.Count == resumed.Count && paused.Count <= 1, $"{service}: {paused.Count} pause lines, {resumed.Count} resume lines");
            }

            // The fulfillment service's steps kept coming while the volume was full: it paused once and resumed once.
            Assert.Single(logLines[1].Paused);
            Assert.False(system.Orders.HasExited || system.Fulfillments.HasExited, "both services stay up");
        }
        finally
        {
            // Removes the filler, drops the databases and the tablespace, unmounts the tmpfs: also after a failure.
            NpgsqlConnection.ClearAllPools();
            output.WriteLine(await FaultChecks.RunScriptAsync("diskfull-postgres.sh", "down", mayFail: true));
        }
    }

    /// <summary>Both services' databases in the tablespace on the small volume; the services find them and migrate them.</summary>
    static async Task CreateDatabasesOnTheSmallVolumeAsync(IEnumerable<string> databases)
    {
        await using var connection = new NpgsqlConnection($"{Server};Database=postgres");
        await connection.OpenAsync();
        foreach (var database in databases)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\" TABLESPACE diskfull", connection);
            await create.ExecuteNonQueryAsync();
        }
    }

    static List<string> FulfillmentsAt(IReadOnlyList<ObservedEvent> events, string status) =>
        events.Where(e => e.Exchange == "fulfillment.status_changed" && e.Text("status") == status)
            .Select(e => e.Text("fulfillmentId")!).Distinct().ToList();

    static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
