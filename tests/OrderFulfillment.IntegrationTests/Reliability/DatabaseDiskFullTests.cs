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
    const string PausedLine = "Database cannot write, disk full";
    const string ResumedLine = "Database writes again after";
    const string DeadLetterLine = "OrderFulfillment.DeadLetters";

    static string Server => FaultChecks.PostgresServer(FaultChecks.Env("DISKFULL_PG_PORT", "5435"));

    [Fact]
    public async Task Database_disk_full_mid_burst_pauses_consumption_until_writes_succeed_and_dead_letters_nothing()
    {
        output.WriteLine(await FaultChecks.RunScriptAsync("diskfull-postgres.sh", "up"));
        var prefix = "DF" + Guid.NewGuid().ToString("N")[..6];
        var databases = new[] { $"diskfull_{prefix.ToLowerInvariant()}_orders", $"diskfull_{prefix.ToLowerInvariant()}_fulfillments" };
        try
        {
            await CreateDatabasesOnTheSmallVolumeAsync(databases);
            await using var system = await FaultedSystem.StartOnAsync("dbfull", Server, databases);
            await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
            var fulfillmentIds = await WarehouseRounds.PlanTwoWarehouseOrdersAsync(system.Amqp, events, prefix, Orders);

            // One round of steps every 8 s; the volume fills right after the first round, so the other six arrive while
            // no write that needs a new page can succeed.
            var full = false;
            var fullClock = new Stopwatch();
            var fillReport = "";
            var publisher = Task.Run(() => WarehouseRounds.PublishWithFaultAfterFirstRoundAsync(system.Amqp, fulfillmentIds, StepInterval, async () =>
            {
                fillReport = await FaultChecks.RunScriptAsync("diskfull-postgres.sh", "fill");
                fullClock.Start();
                Volatile.Write(ref full, true);
            }));

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

                await Task.Delay(500); // the interval of a poll of /health/ready while the volume is full
            }

            await Task.Delay(Full > fullClock.Elapsed ? Full - fullClock.Elapsed : TimeSpan.Zero); // the fault's duration: the volume stays full for Full
            var publishedWhileFull = await publisher;
            var freeReport = await FaultChecks.RunScriptAsync("diskfull-postgres.sh", "free");
            var fullFor = fullClock.Elapsed;

            var (lastEvent, problems, errorQueues) = await FaultedSystem.RecoveryAsync(system, events, fulfillmentIds, "after space returned");
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
            Assert.Equal((WarehouseRounds.Steps.Length - 1) * fulfillmentIds.Count, publishedWhileFull);
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
}
