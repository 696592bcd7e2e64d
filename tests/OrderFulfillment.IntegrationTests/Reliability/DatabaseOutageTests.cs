using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>
/// PostgreSQL down for 60 s while a WMS reports the steps of 10 two-warehouse orders: both services pause (not ready,
/// one warning), resume when it answers (one warning), and apply every step in order; nothing is dead-lettered.
/// </summary>
/// <remarks>
/// The test stops and starts a PostgreSQL cluster of its own, never the shared one: <c>OUTAGE_PG_CLUSTER</c> (default
/// <c>outage</c>) on <c>OUTAGE_PG_PORT</c> (default 5434), which <c>scripts/outage-postgres.sh</c> creates and starts when
/// missing (as root, like the rest of the integration tests).
/// </remarks>
[Trait("Category", "Integration")]
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    const int Orders = 10;
    static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);
    static readonly TimeSpan StepInterval = TimeSpan.FromSeconds(8);
    static readonly string[] Steps =
        ["warehouse.picking_started", "warehouse.picked", "warehouse.packing_started", "warehouse.packed", "warehouse.ready_to_ship", "warehouse.shipped", "warehouse.completed"];
    const string PausedLine = "paused until it answers";
    const string ResumedLine = "message consumption and outbox delivery resumed";

    static string Cluster => Environment.GetEnvironmentVariable("OUTAGE_PG_CLUSTER") is { Length: > 0 } c ? c : "outage";
    static string Port => Environment.GetEnvironmentVariable("OUTAGE_PG_PORT") is { Length: > 0 } p ? p : "5434";
    static string Server => $"Host=127.0.0.1;Port={Port};Username={Env("PGUSER", "orderfulfillment")};Password={Env("PGPASSWORD", "orderfulfillment")}";

    [Fact]
    public async Task PostgreSQL_down_for_60_seconds_pauses_both_services_and_dead_letters_nothing()
    {
        // The script reads OUTAGE_PG_CLUSTER and OUTAGE_PG_PORT from the environment it inherits, with the same defaults.
        await FaultChecks.RunScriptAsync("outage-postgres.sh", "");
        var prefix = "DB" + Guid.NewGuid().ToString("N")[..6];
        var databases = new[] { $"outage_{prefix.ToLowerInvariant()}_orders", $"outage_{prefix.ToLowerInvariant()}_fulfillments" };
        try
        {
            await using var system = await SystemUnderTest.StartAsync("dbout", environment =>
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

            // The steps go out one round every 8 s; the database stops right after the first round, so that round is in
            // the services' hands when it goes, and the other six arrive while it is down.
            var publishedDuringOutage = 0;
            var down = false;
            var outageClock = new Stopwatch();
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
                        if (Volatile.Read(ref down))
                            Interlocked.Increment(ref publishedDuringOutage);
                    }

                    if (step == Steps[0])
                    {
                        await PostgresAsync("stop -m fast");
                        outageClock.Start();
                        Volatile.Write(ref down, true);
                    }

                    if (step != Steps[^1])
                        await Task.Delay(StepInterval);
                }
            });

            await AmqpMessages.UntilAsync(() => Volatile.Read(ref down), TimeSpan.FromSeconds(30), "the database stopped");
            await Task.Delay(TimeSpan.FromSeconds(10));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await FaultChecks.ReadinessAsync(system.Orders)).Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await FaultChecks.ReadinessAsync(system.Fulfillments)).Status);
            await Task.Delay(Outage > outageClock.Elapsed ? Outage - outageClock.Elapsed : TimeSpan.Zero);
            await publisher;
            Volatile.Write(ref down, false);
            await PostgresAsync("start");
            var back = Stopwatch.StartNew();
            var downFor = outageClock.Elapsed;

            await events.WaitForAsync(e => FulfillmentsAt(e, "completed").Count == Orders * 2, TimeSpan.FromMinutes(3),
                "every fulfillment completed after the database came back");
            var lastEvent = back.Elapsed;
            await FaultChecks.WaitUntilReadyAsync(TimeSpan.FromSeconds(30), system.Orders, system.Fulfillments);

            var problems = FaultChecks.NotAnnouncedInOrder(events.Events, fulfillmentIds);

            problems.AddRange(await FaultChecks.IncompleteHistoriesAsync(system.Fulfillments, fulfillmentIds));
            using var management = TestInfrastructure.ManagementClient();
            var errorQueues = await FaultChecks.ErrorQueueMessagesAsync(management, system.Infrastructure.VirtualHost, system.Amqp);
            var logLines = new[] { ("order service", system.Orders), ("fulfillment service", system.Fulfillments) }
                .Select(s => (s.Item1, Paused: s.Item2.Log.Where(l => l.Contains(PausedLine, StringComparison.Ordinal)).ToList(),
                    Resumed: s.Item2.Log.Where(l => l.Contains(ResumedLine, StringComparison.Ordinal)).ToList())).ToList();

            output.WriteLine($"database outage: PostgreSQL {Cluster} (port {Port}) down {downFor.TotalSeconds:0.0} s; " +
                             $"messages published during it {publishedDuringOutage}; messages in error queues afterwards {errorQueues}; " +
                             $"from the database's return to the last event {lastEvent.TotalSeconds:0.0} s; fulfillments complete and in order " +
                             $"{fulfillmentIds.Count - problems.Count} of {fulfillmentIds.Count}");
            foreach (var (service, paused, resumed) in logLines)
            {
                output.WriteLine($"{service}: {string.Join(" | ", paused)}");
                output.WriteLine($"{service}: {string.Join(" | ", resumed)}");
            }

            foreach (var (service, process) in new[] { ("order service", system.Orders), ("fulfillment service", system.Fulfillments) })
            {
                output.WriteLine($"{service}: {FaultChecks.WarningsByCategory(process)}");
            }

            Assert.Empty(problems);
            Assert.Equal(0, errorQueues);
            Assert.Equal(Steps.Length - 1, publishedDuringOutage / fulfillmentIds.Count);
            foreach (var (service, paused, resumed) in logLines)
            {
                Assert.True(paused.Count == 1, $"{service}: {paused.Count} pause lines");
                Assert.True(resumed.Count == 1, $"{service}: {resumed.Count} resume lines");
            }

            Assert.False(system.Orders.HasExited || system.Fulfillments.HasExited, "both services stay up");
        }
        finally
        {
            await PostgresAsync("start", mayFail: true);
            await DropDatabasesAsync(databases);
        }
    }

    static List<string> FulfillmentsAt(IReadOnlyList<ObservedEvent> events, string status) =>
        events.Where(e => e.Exchange == "fulfillment.status_changed" && e.Text("status") == status)
            .Select(e => e.Text("fulfillmentId")!).Distinct().ToList();

    static Task<string> PostgresAsync(string action, bool mayFail = false) => FaultChecks.RunAsync("pg_ctlcluster", $"15 {Cluster} {action}", mayFail);

    static async Task DropDatabasesAsync(IEnumerable<string> databases)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection($"{Server};Database=postgres");
        await connection.OpenAsync();
        foreach (var database in databases)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
