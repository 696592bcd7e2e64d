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
    const string PausedLine = "paused until it answers";
    const string ResumedLine = "message consumption and outbox delivery resumed";

    static string Cluster => FaultChecks.Env("OUTAGE_PG_CLUSTER", "outage");
    static string Port => FaultChecks.Env("OUTAGE_PG_PORT", "5434");
    static string Server => FaultChecks.PostgresServer(Port);

    [Fact]
    public async Task PostgreSQL_down_for_60_seconds_pauses_both_services_and_dead_letters_nothing()
    {
        // The script reads OUTAGE_PG_CLUSTER and OUTAGE_PG_PORT from the environment it inherits, with the same defaults.
        await FaultChecks.RunScriptAsync("outage-postgres.sh", "");
        var prefix = "DB" + Guid.NewGuid().ToString("N")[..6];
        var databases = new[] { $"outage_{prefix.ToLowerInvariant()}_orders", $"outage_{prefix.ToLowerInvariant()}_fulfillments" };
        try
        {
            await using var system = await FaultedSystem.StartOnAsync("dbout", Server, databases);
            await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
            var fulfillmentIds = await WarehouseRounds.PlanTwoWarehouseOrdersAsync(system.Amqp, events, prefix, Orders);

            // The steps go out one round every 8 s; the database stops right after the first round, so that round is in
            // the services' hands when it goes, and the other six arrive while it is down.
            var down = false;
            var outageClock = new Stopwatch();
            var publisher = Task.Run(() => WarehouseRounds.PublishWithFaultAfterFirstRoundAsync(system.Amqp, fulfillmentIds, StepInterval, async () =>
            {
                await PostgresAsync("stop -m fast");
                outageClock.Start();
                Volatile.Write(ref down, true);
            }));

            await AmqpMessages.UntilAsync(() => Volatile.Read(ref down), TimeSpan.FromSeconds(30), "the database stopped");
            await Task.Delay(TimeSpan.FromSeconds(10)); // part of the outage: long enough for both services' retries to give way to the pause
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await FaultChecks.ReadinessAsync(system.Orders)).Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await FaultChecks.ReadinessAsync(system.Fulfillments)).Status);
            await Task.Delay(Outage > outageClock.Elapsed ? Outage - outageClock.Elapsed : TimeSpan.Zero); // the fault's duration: down for Outage
            var publishedDuringOutage = await publisher;
            await PostgresAsync("start");
            var downFor = outageClock.Elapsed;

            var (lastEvent, problems, errorQueues) = await FaultedSystem.RecoveryAsync(system, events, fulfillmentIds, "after the database came back");
            var logLines = new[] { ("order service", system.Orders), ("fulfillment service", system.Fulfillments) }
                .Select(s => (s.Item1, Paused: FaultChecks.LogLines(s.Item2, PausedLine), Resumed: FaultChecks.LogLines(s.Item2, ResumedLine))).ToList();

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
            Assert.Equal(WarehouseRounds.Steps.Length - 1, publishedDuringOutage / fulfillmentIds.Count);
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
            await TestInfrastructure.DropDatabasesAsync(databases, Server);
        }
    }

    static Task<string> PostgresAsync(string action, bool mayFail = false) => ExternalCommand.RunAsync("pg_ctlcluster", $"15 {Cluster} {action}", mayFail);
}
