using System.Net.Http.Json;
using System.Text.Json;
using OrderFulfillment.TestSupport;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>
/// A WMS publishes each fulfillment's six steps back to back in a shuffled order (several WMS nodes, retries, replays:
/// arrival order is not the warehouse's order), without waiting for any answer. Every fulfillment must still be
/// announced pending, planning, picking, picked, packing, packed, ready, shipped with sequences 1..8, every order must be
/// delivered after delivery.confirmed, and nothing may end in an error queue: with one instance of each service, with
/// two (competing consumers on every queue), and with one instance of each SIGKILLed mid-burst.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StepOrderingTests(ITestOutputHelper output)
{
    const int Orders = 50;

    static readonly string[] Steps =
        ["warehouse.picking_started", "warehouse.picked", "warehouse.packing_started", "warehouse.packed", "warehouse.ready_to_ship", "warehouse.shipped"];

    static readonly string[] Expected = ["pending", "planning", "picking", "picked", "packing", "packed", "ready", "shipped"];

    static readonly string[] SagaQueues = ["order-status", "fulfillment", "fulfillment-order-events"];

    [Fact]
    public Task Shuffled_steps_are_announced_in_lifecycle_order_by_one_instance_of_each_service() => BurstAsync(instances: 1, kill: false);

    [Fact]
    public Task Shuffled_steps_are_announced_in_lifecycle_order_by_two_instances_of_each_service() => BurstAsync(instances: 2, kill: false);

    [Fact]
    public Task Shuffled_steps_are_announced_in_lifecycle_order_when_an_instance_of_each_service_is_killed_mid_burst() =>
        BurstAsync(instances: 2, kill: true);

    [Fact]
    public async Task A_step_whose_predecessor_never_comes_is_applied_within_the_hold_window_plus_one_second()
    {
        var window = TimeSpan.FromSeconds(2);
        await using var system = await SystemUnderTest.StartAsync("holdwin", e => e["StepHold__Window"] = window.ToString());
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed");
        var orderId = "HW" + Guid.NewGuid().ToString("N")[..6];
        await PublishOrderAsync(system, orderId);
        var planned = await events.WaitForAsync(e => Fulfillments(e, "planning").Count == 2, TimeSpan.FromSeconds(60), "both fulfillments planning");
        var fulfillmentId = Fulfillments(planned, "planning")[0];

        var published = DateTime.UtcNow;
        await system.Amqp.PublishAsync("warehouse.packed", new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow }, messageId: $"packed:{fulfillmentId}");
        var applied = await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == fulfillmentId && x.Text("status") == "packed"),
            TimeSpan.FromSeconds(30), "the held step applied");
        var after = DateTime.UtcNow - published;

        var packed = applied.Single(x => x.Text("fulfillmentId") == fulfillmentId && x.Text("status") == "packed");
        output.WriteLine($"packed published with no picking before it: announced after {after.TotalMilliseconds:0} ms (hold window {window.TotalMilliseconds:0} ms)");
        Assert.Equal(("planning", 3), (packed.Text("previousStatus"), packed.Number("sequence")));
        Assert.True(after >= window - TimeSpan.FromMilliseconds(100), $"applied after {after.TotalMilliseconds:0} ms, before the window ended");
        Assert.True(after <= window + TimeSpan.FromSeconds(1), $"applied after {after.TotalMilliseconds:0} ms, later than the window plus one second");
    }

    async Task BurstAsync(int instances, bool kill)
    {
        await using var system = await SystemUnderTest.StartAsync(kill ? "shufkill" : $"shuffle{instances}x");
        var services = new List<(string Service, ServiceProcess Process)> { ("order", system.Orders), ("fulfillment", system.Fulfillments) };
        if (instances == 2)
        {
            var (orders, fulfillments) = await system.StartSecondInstancesAsync();
            services.Add(("order", orders));
            services.Add(("fulfillment", fulfillments));
        }

        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed", "order.status_changed");
        var prefix = "SH" + Guid.NewGuid().ToString("N")[..6];
        var orderIds = Enumerable.Range(1, Orders).Select(i => $"{prefix}-{i:D3}").ToList();
        foreach (var orderId in orderIds)
            await PublishOrderAsync(system, orderId);
        var planned = await events.WaitForAsync(e => Fulfillments(e, "planning").Count == Orders * 2, TimeSpan.FromMinutes(2),
            "every fulfillment in planning");

        // Every fulfillment's six steps, back to back, each fulfillment in an order of its own.
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var cpuBefore = services.Select(s => s.Process.CpuTime).ToList();
        var started = DateTime.UtcNow;
        var consumers = new List<JsonElement>();
        var killed = false;
        foreach (var (fulfillmentId, index) in Fulfillments(planned, "planning").Select((id, i) => (id, i)))
        {
            foreach (var step in Steps.OrderBy(_ => random.Next()))
            {
                object body = step == "warehouse.shipped"
                    ? new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow, carrier = "UPS", trackingNumber = "1Z" + fulfillmentId[..8] }
                    : new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow };
                await system.Amqp.PublishAsync(step, body, messageId: $"{step}:{fulfillmentId}");
            }

            if (index == Orders / 2)
                consumers = await SagaQueueConsumersAsync(system);
            if (kill && !killed && index == Orders / 2)
            {
                // Mid-burst: the first instance of each service dies without a chance to finish anything it holds.
                await system.Orders.KillAsync();
                await system.Fulfillments.KillAsync();
                killed = true;
            }
        }

        var published = DateTime.UtcNow - started;
        await events.WaitForAsync(e => Fulfillments(e, "shipped").Count == Orders * 2, TimeSpan.FromMinutes(3), "every fulfillment shipped");
        var applied = DateTime.UtcNow - started;
        var cpu = services.Select((s, i) => (s.Service, Cpu: s.Process.CpuTime - cpuBefore[i])).ToList();

        foreach (var shipped in events.Events.Where(e => e.Exchange == "fulfillment.status_changed" && e.Text("status") == "shipped")
                     .DistinctBy(e => e.Text("fulfillmentId")))
            await system.Amqp.PublishAsync("delivery.confirmed", new
            {
                orderId = shipped.Text("orderId"),
                fulfillmentId = shipped.Text("fulfillmentId"),
                deliveredAt = DateTimeOffset.UtcNow,
                carrier = "UPS",
                trackingNumber = shipped.Text("trackingNumber"),
            }, messageId: $"delivery:{shipped.Text("fulfillmentId")}");
        await events.WaitForAsync(e => Delivered(e).Count == Orders, TimeSpan.FromMinutes(2), "every order delivered");
        await system.UntilIdleAsync(TimeSpan.FromMinutes(1)); // anything announced late (a duplicate, a step out of order) shows up too

        var problems = new List<string>();
        var fulfillmentEvents = events.Events.Where(e => e.Exchange == "fulfillment.status_changed").ToList();
        foreach (var fulfillment in fulfillmentEvents.GroupBy(e => e.Text("fulfillmentId")!))
        {
            // A killed process may publish an event again after its restart (at-least-once): the same sequence and status.
            var seen = fulfillment.DistinctBy(e => (e.Number("sequence"), e.Text("status"))).OrderBy(e => e.Number("sequence")).ToList();
            var statuses = seen.Select(e => e.Text("status")).ToList();
            var sequences = seen.Select(e => e.Number("sequence")).ToList();
            var previous = seen.Select(e => e.Text("previousStatus")).Skip(1).ToList();
            if (!statuses.SequenceEqual(Expected) || !sequences.SequenceEqual(Enumerable.Range(1, Expected.Length))
                || !previous.SequenceEqual(Expected.SkipLast(1)))
                problems.Add($"{fulfillment.Key}: {string.Join(" ", seen.Select(e => $"{e.Number("sequence")}:{e.Text("status")}"))}");
        }

        var orderEvents = events.Events.Where(e => e.Exchange == "order.status_changed").ToList();
        foreach (var order in orderEvents.GroupBy(e => e.Text("orderId")!))
        {
            var changes = order.DistinctBy(e => e.Text("status")).ToList();
            for (var i = 1; i < changes.Count; i++)
                if (changes[i].Text("previousStatus") != changes[i - 1].Text("status"))
                    problems.Add($"{order.Key}: order.status_changed not chained: {string.Join(" ", changes.Select(c => $"{c.Text("previousStatus")}→{c.Text("status")}"))}");
        }

        uint errors = 0;
        foreach (var queue in SagaQueues)
            errors += await ErrorCountAsync(system, queue + "_error");
        var duplicates = fulfillmentEvents.Count - fulfillmentEvents.DistinctBy(e => (e.Text("fulfillmentId"), e.Number("sequence"))).Count();
        output.WriteLine($"{instances} instance(s) of each service{(kill ? ", the first of each SIGKILLed mid-burst" : "")}, shuffle seed {seed}: " +
                         $"{Orders} orders, {Orders * 2} fulfillments, {Orders * 2 * Steps.Length} steps published back to back in " +
                         $"{published.TotalSeconds:0.0} s, all shipped after {applied.TotalSeconds:0.0} s; {fulfillmentEvents.Count} " +
                         $"fulfillment.status_changed events (expected {Orders * 2 * Expected.Length}, {duplicates} republished after a kill); " +
                         $"{Orders * 2 - problems.Count(p => !p.Contains("order.status_changed", StringComparison.Ordinal))} of {Orders * 2} fulfillments " +
                         $"with exactly pending..shipped, sequences 1..8; {Delivered(events.Events).Count} of {Orders} orders delivered; {errors} messages in error queues");
        foreach (var (service, time) in cpu)
            output.WriteLine($"  CPU during the burst, {service} service instance: {time.TotalMilliseconds:0} ms " +
                             $"({time / cpu.Where(c => c.Service == service).Aggregate(TimeSpan.Zero, (a, c) => a + c.Cpu):P0} of that service's)");
        foreach (var consumer in consumers)
            output.WriteLine($"  consumer on {consumer.GetProperty("queue").GetProperty("name").GetString()}: " +
                             $"{consumer.GetProperty("activity_status").GetString()}");
        foreach (var problem in problems.Take(10))
            output.WriteLine("  " + problem);

        Assert.Empty(problems);
        Assert.Equal(Orders * 2 * Expected.Length, fulfillmentEvents.Count - duplicates);
        Assert.Equal(Orders, Delivered(events.Events).Count);
        Assert.Equal(0u, errors);
        if (kill)
            Assert.True(killed);
        if (instances == 2)
        {
            // Every instance consumes every queue, and none stands by.
            Assert.All(SagaQueues, queue => Assert.Equal(2, consumers.Count(c => c.GetProperty("queue").GetProperty("name").GetString() == queue)));
            Assert.All(consumers, c => Assert.Equal("up", c.GetProperty("activity_status").GetString()));
        }

        if (instances == 2 && !kill)
        {
            // The burst spreads over the instances: each does at least a quarter of its service's work.
            foreach (var service in cpu.GroupBy(c => c.Service))
            {
                var total = service.Aggregate(TimeSpan.Zero, (a, c) => a + c.Cpu);
                Assert.All(service, instance => Assert.True(instance.Cpu >= total / 4,
                    $"a {service.Key} service instance spent {instance.Cpu.TotalMilliseconds:0} ms of its service's {total.TotalMilliseconds:0} ms"));
            }
        }
    }

    static async Task PublishOrderAsync(SystemUnderTest system, string orderId) =>
        await system.Amqp.PublishAsync("order.confirmed", new
        {
            orderId,
            confirmedAt = DateTimeOffset.UtcNow,
            lines = new object[] { new { sku = "SKU-1", quantity = 2, warehouseId = "WH-EAST" }, new { sku = "SKU-2", quantity = 1, warehouseId = "WH-WEST" } },
        }, messageId: $"checkout-{orderId}");

    /// <summary>The consumers of the saga queues, as RabbitMQ's management API lists them (with their activity status).</summary>
    static async Task<List<JsonElement>> SagaQueueConsumersAsync(SystemUnderTest system)
    {
        using var http = TestInfrastructure.ManagementClient();
        var all = await http.GetFromJsonAsync<List<JsonElement>>($"api/consumers/{Uri.EscapeDataString(system.Infrastructure.VirtualHost)}");
        return [.. all!.Where(c => SagaQueues.Contains(c.GetProperty("queue").GetProperty("name").GetString()))];
    }

    /// <summary>An error queue is created when its first message is moved there: a queue not there holds none.</summary>
    static async Task<uint> ErrorCountAsync(SystemUnderTest system, string queue)
    {
        using var http = TestInfrastructure.ManagementClient();
        var response = await http.GetAsync($"api/queues/{Uri.EscapeDataString(system.Infrastructure.VirtualHost)}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return 0;
        return await system.Amqp.MessageCountAsync(queue);
    }

    static List<string> Fulfillments(IReadOnlyList<ObservedEvent> events, string status) =>
        [.. events.Where(e => e.Exchange == "fulfillment.status_changed" && e.Text("status") == status).Select(e => e.Text("fulfillmentId")!).Distinct()];

    static List<string> Delivered(IReadOnlyList<ObservedEvent> events) =>
        [.. events.Where(e => e.Exchange == "order.status_changed" && e.Text("status") == "delivered").Select(e => e.Text("orderId")!).Distinct()];
}
