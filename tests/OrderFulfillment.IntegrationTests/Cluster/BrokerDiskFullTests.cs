using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using OrderFulfillment.IntegrationTests.Reliability;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cluster;

/// <summary>
/// RabbitMQ's disk alarm mid-burst, for 25 s, on the local 3-node cluster (never the dev broker): RabbitMQ blocks every
/// connection that publishes, the services' and the WMS's alike. What the services had taken when it came is committed
/// and kept in their outboxes; a service whose connection RabbitMQ blocks (it publishes during the alarm) logs the block
/// and the unblock once each and reports Degraded on /health/ready meanwhile; after the alarm everything is delivered: no
/// event lost, none applied twice, backwards or out of order, every history complete, nothing in an error queue.
/// </summary>
/// <remarks>
/// The alarm is raised without filling the disk: <c>scripts/cluster-node.sh disk-alarm 1</c> sets node 1's
/// <c>disk_free_limit</c> above its free space, <c>disk-ok 1</c> sets it back (also after a failure). A resource alarm is
/// cluster-wide, so the WMS's own publisher (on node 3) waits for its confirm meanwhile, as a real producer would.
/// </remarks>
[Trait("Category", "Cluster")]
public sealed class BrokerDiskFullTests(ITestOutputHelper output)
{
    const int Orders = 60;
    const int AlarmNode = 1;
    static readonly TimeSpan Alarm = TimeSpan.FromSeconds(25);
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    const string BlockedLine = "RabbitMQ blocked publishing";
    const string UnblockedLine = "RabbitMQ unblocked publishing after";

    [Fact]
    public async Task Disk_alarm_mid_burst_blocks_publishing_and_the_outboxes_deliver_everything_after_it()
    {
        await using var broker = await ClusterBroker.StartAsync("disk");
        var suffix = broker.VirtualHost[8..].Replace('-', '_');
        string[] databases = [$"k_{suffix}_orders", $"k_{suffix}_fulfillments"];
        var connectionStrings = databases.Select(d => $"{TestInfrastructure.PostgresServer};Database={d}").ToArray();
        var environment = broker.ServiceEnvironment();
        environment["ConnectionStrings__OrderDb"] = connectionStrings[0];
        environment["ConnectionStrings__FulfillmentDb"] = connectionStrings[1];
        environment["WarehouseRouting__DefaultWarehouse"] = "WH-CENTRAL";
        try
        {
            await using var orders = await ServiceProcess.StartOrderServiceAsync(environment);
            await using var fulfillments = await ServiceProcess.StartFulfillmentServiceAsync(environment);
            await using var amqp = await PlainAmqp.ConnectAsync(broker.VirtualHost, ClusterBroker.ClientEndpoints);
            var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
            await using var events = await amqp.ObserveAsync(quorum, "order.status_changed", "fulfillment.status_changed");
            var burst = new Burst(amqp, events, Orders, "DISK" + Guid.NewGuid().ToString("N")[..6]);
            var clock = Stopwatch.StartNew();
            // A third of the way through, with steps and events in flight: the alarm runs beside the burst (whose own
            // publishes wait meanwhile), watched apart from it.
            var alarm = Task.Run(async () =>
            {
                await AmqpMessages.UntilAsync(() => events.Events.Count > Orders * 2 * 9 / 3, Timeout, "a third of the burst");
                return await AlarmAsync(broker, burst, events, [orders, fulfillments], connectionStrings, clock);
            });

            await burst.PublishOrdersAsync();
            try
            {
                await burst.DriveUntilDeliveredAsync(Timeout);
            }
            catch (TimeoutException exception)
            {
                throw new TimeoutException($"{exception.Message}\n{ClusterFigures.Of(burst.OrderIds, events.Events, clock.Elapsed)}\n" +
                                           $"--- order service\n{orders.LogTail(30)}\n--- fulfillment service\n{fulfillments.LogTail(30)}", exception);
            }

            var lastEvent = clock.Elapsed;
            var figures = await alarm;
            await Task.Delay(2000); // copies the outboxes sent twice (a confirm that timed out while blocked) are counted too
            var burstFigures = ClusterFigures.Of(burst.OrderIds, events.Events, clock.Elapsed);
            var fulfillmentIds = events.Events.Where(e => e.Exchange == "fulfillment.status_changed").Select(e => e.Text("fulfillmentId")!).Distinct().ToList();
            var incomplete = await FaultChecks.IncompleteHistoriesAsync(fulfillments, fulfillmentIds);
            using var management = ClusterBroker.Management(ClusterBroker.ClientNode);
            var errorQueues = await FaultChecks.ErrorQueueMessagesAsync(management, broker.VirtualHost, amqp);
            var services = new[] { ("order service", orders), ("fulfillment service", fulfillments) };
            var logLines = services.Select(s => (Service: s.Item1, Blocked: FaultChecks.LogLines(s.Item2, BlockedLine),
                Unblocked: FaultChecks.LogLines(s.Item2, UnblockedLine))).ToList();

            output.WriteLine($"broker disk alarm: {ClusterBroker.NodeName(AlarmNode)} for {figures.Duration.TotalSeconds:0.0} s from " +
                             $"{figures.RaisedAt.TotalSeconds:0.0} s; events committed and kept in the outboxes meanwhile (most at once) {figures.MostKept}; " +
                             $"events observed after its first 2 s {figures.EventsObservedDuring}; WMS publishes confirmed during it {figures.WmsConfirmedDuring}; " +
                             $"readiness meanwhile: {string.Join(", ", figures.Readiness)}; connections meanwhile (management API): {string.Join(", ", figures.ConnectionStates)}");
            output.WriteLine($"after the alarm: outboxes empty {figures.DrainedAfter.TotalSeconds:0.0} s after it cleared; last event " +
                             $"{(lastEvent - figures.ClearedAt).TotalSeconds:0.0} s after it cleared (the burst went on); messages in error queues {errorQueues}; " +
                             $"fulfillment histories complete and in order {fulfillmentIds.Count - incomplete.Count} of {fulfillmentIds.Count}");
            output.WriteLine($"cluster: disk alarm: {burstFigures}");
            foreach (var (service, blocked, unblocked) in logLines)
                output.WriteLine($"{service}: {string.Join(" | ", blocked.Concat(unblocked))}");
            foreach (var (service, process) in services)
            {
                var noisy = process.Log.Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal)
                                                   || l.Contains(" crit: ", StringComparison.Ordinal)).ToList();
                output.WriteLine($"{service}: {noisy.Count} warning/error lines in all, by category: " +
                                 string.Join(", ", noisy.GroupBy(l => l.Split(' ').ElementAtOrDefault(2) ?? "?").Select(g => $"{g.Key} {g.Count()}")));
            }

            Assert.Empty(incomplete);
            Assert.Equal(Orders * 2, fulfillmentIds.Count);
            Assert.Equal(0, errorQueues);
            Assert.Equal(0, burstFigures.Lost);
            Assert.Equal(0, burstFigures.DuplicatesApplied);
            Assert.Equal(0, burstFigures.Regressions);
            Assert.Equal(0, burstFigures.OutOfOrder);
            Assert.Equal(Orders, burstFigures.Delivered);
            Assert.True(figures.MostKept > 0, "events were committed while the broker blocked publishing, and kept in the outbox");
            Assert.Equal(0, figures.WmsConfirmedDuring);
            // RabbitMQ blocks a connection when it publishes during the alarm (until then it is "blocking"): the fulfillment
            // service, whose steps were in flight, did; the order service only if an event reached it before the alarm.
            foreach (var (service, blocked, unblocked) in logLines)
            {
                Assert.True(blocked.Count == unblocked.Count && blocked.Count <= 1, $"{service}: {blocked.Count} lines '{BlockedLine}', {unblocked.Count} '{UnblockedLine}'");
                Assert.All(blocked, line => Assert.Contains("low on disk", line, StringComparison.Ordinal));
            }

            Assert.Single(logLines[1].Blocked);
            Assert.Contains("OrderFulfillment.FulfillmentService blocked", figures.ConnectionStates);
            Assert.Contains("fulfillment service 200 Degraded", figures.Readiness);
            Assert.False(orders.HasExited || fulfillments.HasExited, "both services stay up");
        }
        finally
        {
            await ClusterBroker.ClearDiskAlarmAsync(AlarmNode);
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresServer + ";Database=postgres");
            await connection.OpenAsync();
            foreach (var database in databases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
    }

    /// <summary>
    /// Raises the alarm, watches the outboxes and readiness every second while it lasts, clears it, and waits until both
    /// outboxes are empty again.
    /// </summary>
    async Task<AlarmFigures> AlarmAsync(ClusterBroker broker, Burst burst, TestSupport.EventLog events, ServiceProcess[] services, string[] connectionStrings, Stopwatch clock)
    {
        await ClusterBroker.RaiseDiskAlarmAsync(AlarmNode);
        var raisedAt = clock.Elapsed;
        long mostKept = 0;
        int eventsDuring, wmsConfirmedDuring;
        var readiness = new HashSet<string>();
        var connectionStates = new HashSet<string>();
        // Cleared whatever happens meanwhile: the burst's own publish waits for it, and the cluster is shared.
        try
        {
            Assert.True(await ClusterBroker.AlarmInEffectAsync(), "RabbitMQ reports the disk alarm (api/health/checks/alarms)");
            output.WriteLine($"disk alarm raised on {ClusterBroker.NodeName(AlarmNode)} at {raisedAt.TotalSeconds:0.0} s, {events.Events.Count} events seen");
            var wmsConfirmedAtRaise = burst.Published;
            await Task.Delay(2000);
            var eventsAfterTwoSeconds = events.Events.Count;
            while (clock.Elapsed - raisedAt < Alarm)
            {
                long kept = 0;
                foreach (var connectionString in connectionStrings)
                    kept += await FaultChecks.OutboxBacklogAsync(connectionString);
                mostKept = Math.Max(mostKept, kept);
                foreach (var (name, service) in new[] { ("order service", services[0]), ("fulfillment service", services[1]) })
                {
                    var (status, body) = await FaultChecks.ReadinessAsync(service);
                    readiness.Add($"{name} {(int)status} {body}");
                }

                foreach (var state in await ConnectionStatesAsync(broker))
                    connectionStates.Add(state);

                await Task.Delay(1000);
            }

            eventsDuring = events.Events.Count - eventsAfterTwoSeconds;
            wmsConfirmedDuring = burst.Published - wmsConfirmedAtRaise;
        }
        finally
        {
            await ClusterBroker.ClearDiskAlarmAsync(AlarmNode);
        }

        var clearedAt = clock.Elapsed;
        Assert.False(await ClusterBroker.AlarmInEffectAsync(), "the disk alarm cleared");
        output.WriteLine($"disk alarm cleared at {clearedAt.TotalSeconds:0.0} s");

        var drainedBy = clock.Elapsed + TimeSpan.FromMinutes(1);
        while (true)
        {
            long kept = 0;
            foreach (var connectionString in connectionStrings)
                kept += await FaultChecks.OutboxBacklogAsync(connectionString);
            if (kept == 0)
                break;
            Assert.True(clock.Elapsed < drainedBy, $"{kept} outbox rows still undelivered a minute after the alarm cleared");
            await Task.Delay(200);
        }

        return new AlarmFigures(raisedAt, clearedAt, clearedAt - raisedAt, mostKept, eventsDuring, wmsConfirmedDuring, clock.Elapsed - clearedAt,
            [.. readiness.Order()], [.. connectionStates.Order()]);
    }

    /// <summary>Each connection of the vhost, by its client's name, with its state as the management UI shows it (running, blocking, blocked).</summary>
    static async Task<IEnumerable<string>> ConnectionStatesAsync(ClusterBroker broker)
    {
        using var management = ClusterBroker.Management(ClusterBroker.ClientNode);
        var connections = await management.GetFromJsonAsync<JsonElement>(
            $"api/vhosts/{Uri.EscapeDataString(broker.VirtualHost)}/connections?columns=state,client_properties.connection_name");
        return connections.EnumerateArray().Select(c =>
            $"{(c.TryGetProperty("client_properties", out var client) && client.TryGetProperty("connection_name", out var name) ? name.GetString() : "unnamed")} " +
            $"{(c.TryGetProperty("state", out var state) ? state.GetString() : "unknown")}");
    }

    sealed record AlarmFigures(
        TimeSpan RaisedAt, TimeSpan ClearedAt, TimeSpan Duration, long MostKept, int EventsObservedDuring, int WmsConfirmedDuring, TimeSpan DrainedAfter,
        IReadOnlyList<string> Readiness, IReadOnlyList<string> ConnectionStates);
}
