using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using OrderFulfillment.IntegrationTests.Reliability;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cluster;

/// <summary>
/// RabbitMQ's disk alarm for 25 s while a WMS reports the steps of 20 two-warehouse orders, on the local 3-node cluster
/// (never the dev broker): RabbitMQ blocks every connection that publishes, the services' and the WMS's alike. What the
/// services take meanwhile is committed and kept in their outboxes; a service whose connection is blocked logs the block
/// and the unblock once each and reports Degraded on /health/ready; after the alarm every event is delivered: every
/// fulfillment's history complete and announced in order, nothing in an error queue.
/// </summary>
/// <remarks>
/// The alarm is raised without filling the disk: <c>scripts/cluster-node.sh disk-alarm 1</c> sets node 1's
/// <c>disk_free_limit</c> above its free space, <c>disk-ok 1</c> sets it back (also after a failure). A resource alarm is
/// cluster-wide, so nothing can be published while it lasts: the WMS's second round goes out before it, into a holding
/// queue whose messages RabbitMQ itself dead-letters to <c>warehouse.picked</c> 12 s later (its TTL), so that the services
/// have that round to work on while it lasts; the later rounds wait for their confirms, as a real WMS's would.
/// </remarks>
[Trait("Category", "Cluster")]
public sealed class BrokerDiskFullTests(ITestOutputHelper output)
{
    const int Orders = 20;
    const int AlarmNode = 1;
    static readonly TimeSpan Alarm = TimeSpan.FromSeconds(25);
    static readonly TimeSpan HoldFor = TimeSpan.FromSeconds(12);
    static readonly TimeSpan StepInterval = TimeSpan.FromSeconds(4);
    static readonly string[] Steps = WarehouseRounds.Steps;
    const string BlockedLine = "RabbitMQ blocked publishing";
    const string UnblockedLine = "RabbitMQ unblocked publishing after";

    [Fact]
    public async Task Disk_alarm_blocks_publishing_and_the_outboxes_deliver_everything_after_it()
    {
        await using var broker = await ClusterBroker.StartAsync("disk");
        var databases = broker.ServiceDatabases("k");
        var environment = broker.ServiceEnvironment(databases);
        string[] connectionStrings = [environment["ConnectionStrings__OrderDb"], environment["ConnectionStrings__FulfillmentDb"]];
        try
        {
            await using var orders = await ServiceProcess.StartOrderServiceAsync(environment);
            await using var fulfillments = await ServiceProcess.StartFulfillmentServiceAsync(environment);
            await using var amqp = await PlainAmqp.ConnectAsync(broker.VirtualHost, ClusterBroker.ClientEndpoints);
            var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
            await using var events = await amqp.ObserveAsync(quorum, "order.status_changed", "fulfillment.status_changed");
            var prefix = "DISK" + Guid.NewGuid().ToString("N")[..6];
            var fulfillmentIds = await WarehouseRounds.PlanTwoWarehouseOrdersAsync(amqp, events, prefix, Orders);

            foreach (var fulfillmentId in fulfillmentIds)
                await amqp.PublishAsync(Steps[0], WarehouseRounds.StepBody(Steps[0], fulfillmentId), $"{Steps[0]}:{fulfillmentId}");
            await events.WaitForAsync(e => WarehouseRounds.FulfillmentsAt(e, "picking").Count == Orders * 2, TimeSpan.FromMinutes(1), "every fulfillment picking");

            // The second round, held by RabbitMQ for 12 s; the alarm must be on before it comes out.
            var held = Stopwatch.StartNew();
            await HoldAsync(broker, Steps[1], fulfillmentIds);
            var clock = Stopwatch.StartNew();
            await ClusterBroker.RaiseDiskAlarmAsync(AlarmNode);
            Assert.True(held.Elapsed < HoldFor, $"the disk alarm took {held.Elapsed.TotalSeconds:0.0} s to raise, longer than the hold of the second round");
            var watch = WatchAlarmAsync(broker, events, [orders, fulfillments], connectionStrings, clock);

            // The other rounds, one every 4 s: the first of them waits for its confirm until the alarm clears.
            var publishedDuringAlarm = 0;
            foreach (var step in Steps[2..])
            {
                await Task.Delay(StepInterval); // the WMS's pace between rounds, which spreads them over the alarm
                foreach (var fulfillmentId in fulfillmentIds)
                {
                    var during = !watch.IsCompleted;
                    await amqp.PublishAsync(step, WarehouseRounds.StepBody(step, fulfillmentId), $"{step}:{fulfillmentId}");
                    if (during)
                        publishedDuringAlarm++;
                }
            }

            var figures = await watch;
            await events.WaitForAsync(e => WarehouseRounds.FulfillmentsAt(e, "completed").Count == Orders * 2, TimeSpan.FromMinutes(2),
                "every fulfillment completed after the alarm");
            var lastEvent = clock.Elapsed;

            var problems = await FaultChecks.NotCompleteInOrderAsync(events.Events, fulfillmentIds, fulfillments);
            using var management = ClusterBroker.Management(ClusterBroker.ClientNode);
            var errorQueues = await FaultChecks.ErrorQueueMessagesAsync(management, broker.VirtualHost, amqp);
            var services = new[] { ("order service", orders), ("fulfillment service", fulfillments) };
            var logLines = services.Select(s => (Service: s.Item1, Blocked: FaultChecks.LogLines(s.Item2, BlockedLine),
                Unblocked: FaultChecks.LogLines(s.Item2, UnblockedLine))).ToList();

            output.WriteLine($"broker disk alarm: {ClusterBroker.NodeName(AlarmNode)} for {figures.ClearedAt.TotalSeconds:0.0} s; " +
                             $"{fulfillmentIds.Count} warehouse.picked let out by RabbitMQ during it, {publishedDuringAlarm} WMS publishes begun during it " +
                             $"(confirmed after it); events committed and kept in the outboxes (most at once) {figures.MostKept}; " +
                             $"events observed during it {figures.EventsObservedDuring}; readiness meanwhile: {string.Join(", ", figures.Readiness)}; " +
                             $"connections meanwhile (management API): {string.Join(", ", figures.ConnectionStates)}");
            output.WriteLine($"after the alarm: outboxes empty {figures.DrainedAfter.TotalSeconds:0.0} s after it cleared; last event " +
                             $"{(lastEvent - figures.ClearedAt).TotalSeconds:0.0} s after it cleared (rounds went on every 4 s); messages in error queues {errorQueues}; " +
                             $"fulfillments complete and announced in order {fulfillmentIds.Count - problems.Select(p => p.Split(' ')[0]).Distinct().Count()} of {fulfillmentIds.Count}");
            foreach (var (service, blocked, unblocked) in logLines)
                output.WriteLine($"{service}: {string.Join(" | ", blocked.Concat(unblocked))}");
            foreach (var (service, process) in services)
            {
                output.WriteLine($"{service}: {FaultChecks.WarningsByCategory(process)}");
            }

            Assert.Empty(problems);
            Assert.Equal(0, errorQueues);
            // Blocked, the broker reads no acknowledgement either: a service takes at most its prefetch meanwhile.
            Assert.True(figures.MostKept > 0, "events committed during the alarm and kept in the outbox");
            Assert.True(publishedDuringAlarm > 0, "the WMS published during the alarm");
            // The fulfillment service published (into the block) during the alarm; the order service had nothing to publish.
            Assert.Single(logLines[1].Blocked);
            Assert.Single(logLines[1].Unblocked);
            Assert.Contains("low on disk", logLines[1].Blocked[0], StringComparison.Ordinal);
            Assert.True(logLines[0].Blocked.Count == logLines[0].Unblocked.Count && logLines[0].Blocked.Count <= 1, "order service: block and unblock lines pair up");
            Assert.Contains("OrderFulfillment.FulfillmentService blocked", figures.ConnectionStates);
            Assert.Contains("fulfillment service 200 Degraded", figures.Readiness);
            Assert.False(orders.HasExited || fulfillments.HasExited, "both services stay up");
        }
        finally
        {
            await ClusterBroker.ClearDiskAlarmAsync(AlarmNode);
            await TestInfrastructure.DropDatabasesAsync(databases);
        }
    }

    /// <summary>
    /// Puts one step per fulfillment in a holding queue (through the management API, before the alarm) whose TTL has RabbitMQ
    /// dead-letter them to the step's exchange later: RabbitMQ routes them itself, which no alarm blocks.
    /// </summary>
    static async Task HoldAsync(ClusterBroker broker, string step, IEnumerable<string> fulfillmentIds)
    {
        using var management = ClusterBroker.Management(ClusterBroker.ClientNode);
        var vhost = Uri.EscapeDataString(broker.VirtualHost);
        var queue = "disk-alarm-held-" + step;
        (await management.PutAsJsonAsync($"api/queues/{vhost}/{Uri.EscapeDataString(queue)}", new
        {
            durable = true,
            auto_delete = false,
            arguments = new Dictionary<string, object> { ["x-message-ttl"] = (int)HoldFor.TotalMilliseconds, ["x-dead-letter-exchange"] = step },
        })).EnsureSuccessStatusCode();
        foreach (var fulfillmentId in fulfillmentIds)
        {
            using var response = await management.PostAsJsonAsync($"api/exchanges/{vhost}/amq.default/publish", new
            {
                properties = new Dictionary<string, object> { ["message_id"] = $"{step}:{fulfillmentId}", ["content_type"] = "application/json", ["delivery_mode"] = 2 },
                routing_key = queue,
                payload = JsonSerializer.Serialize(WarehouseRounds.StepBody(step, fulfillmentId), JsonSerializerOptions.Web),
                payload_encoding = "string",
            });
            response.EnsureSuccessStatusCode();
            Assert.Contains("\"routed\":true", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Watches the outboxes, readiness and connections every second while the alarm lasts, clears it, and waits until both
    /// outboxes are empty again.
    /// </summary>
    async Task<AlarmFigures> WatchAlarmAsync(ClusterBroker broker, TestSupport.EventLog events, ServiceProcess[] services, string[] connectionStrings, Stopwatch clock)
    {
        long mostKept = 0;
        int eventsDuring;
        var readiness = new HashSet<string>();
        var connectionStates = new HashSet<string>();
        // Cleared whatever happens meanwhile: the WMS's publish waits for it, and the cluster is shared.
        try
        {
            Assert.True(await ClusterBroker.AlarmInEffectAsync(), "RabbitMQ reports the disk alarm (api/health/checks/alarms)");
            output.WriteLine($"disk alarm raised on {ClusterBroker.NodeName(AlarmNode)}, {events.Events.Count} events seen");
            var eventsAtRaise = events.Events.Count;
            while (clock.Elapsed < Alarm)
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

                await Task.Delay(1000); // the interval of the watch's samples while the alarm lasts
            }

            eventsDuring = events.Events.Count - eventsAtRaise;
        }
        finally
        {
            await ClusterBroker.ClearDiskAlarmAsync(AlarmNode);
        }

        var clearedAt = clock.Elapsed;
        Assert.False(await ClusterBroker.AlarmInEffectAsync(), "the disk alarm cleared");
        output.WriteLine($"disk alarm cleared after {clearedAt.TotalSeconds:0.0} s");

        var drainedBy = clock.Elapsed + TimeSpan.FromMinutes(1);
        while (true)
        {
            long kept = 0;
            foreach (var connectionString in connectionStrings)
                kept += await FaultChecks.OutboxBacklogAsync(connectionString);
            if (kept == 0)
                break;
            Assert.True(clock.Elapsed < drainedBy, $"{kept} outbox rows still undelivered a minute after the alarm cleared");
            await Task.Delay(200); // the interval of a poll of the outboxes' backlog, not a quiet period
        }

        return new AlarmFigures(clearedAt, mostKept, eventsDuring, clock.Elapsed - clearedAt, [.. readiness.Order()], [.. connectionStates.Order()]);
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
        TimeSpan ClearedAt, long MostKept, int EventsObservedDuring, TimeSpan DrainedAfter, IReadOnlyList<string> Readiness,
        IReadOnlyList<string> ConnectionStates);
}
