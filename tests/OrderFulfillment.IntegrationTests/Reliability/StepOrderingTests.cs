using OrderFulfillment.TestSupport;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>
/// A WMS publishes one fulfillment's steps back to back, without waiting for any answer. The steps must be applied in
/// the order they arrive on the queue, each announced once, with one instance of each service and with two.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StepOrderingTests(ITestOutputHelper output)
{
    const int Orders = 50;

    static readonly string[] Steps =
        ["warehouse.picking_started", "warehouse.picked", "warehouse.packing_started", "warehouse.packed", "warehouse.ready_to_ship", "warehouse.shipped"];

    static readonly string[] Expected = ["pending", "planning", "picking", "picked", "packing", "packed", "ready", "shipped"];

    [Fact]
    public Task Steps_published_back_to_back_are_applied_in_order_by_one_instance_of_each_service() => BurstAsync(instances: 1);

    [Fact]
    public Task Steps_published_back_to_back_are_applied_in_order_by_two_instances_of_each_service() => BurstAsync(instances: 2);

    async Task BurstAsync(int instances)
    {
        await using var system = await SystemUnderTest.StartAsync($"order{instances}x");
        if (instances == 2)
            await system.StartSecondInstancesAsync();
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed");
        var prefix = "BB" + Guid.NewGuid().ToString("N")[..6];
        var orderIds = Enumerable.Range(1, Orders).Select(i => $"{prefix}-{i:D3}").ToList();

        foreach (var orderId in orderIds)
            await system.Amqp.PublishAsync("order.confirmed", new
            {
                orderId,
                confirmedAt = DateTimeOffset.UtcNow,
                lines = new object[] { new { sku = "SKU-1", quantity = 2, warehouseId = "WH-EAST" }, new { sku = "SKU-2", quantity = 1, warehouseId = "WH-WEST" } },
            }, messageId: $"checkout-{orderId}");
        var planned = await events.WaitForAsync(e => Fulfillments(e, "planning").Count == Orders * 2, TimeSpan.FromMinutes(2),
            "every fulfillment in planning");

        // Every fulfillment's six steps, back to back: no step waits for the one before it to be announced.
        var started = DateTime.UtcNow;
        foreach (var fulfillmentId in Fulfillments(planned, "planning"))
        {
            foreach (var step in Steps)
            {
                object body = step == "warehouse.shipped"
                    ? new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow, carrier = "UPS", trackingNumber = "1Z" + fulfillmentId[..8] }
                    : new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow };
                await system.Amqp.PublishAsync(step, body, messageId: $"{step}:{fulfillmentId}");
            }
        }

        var published = DateTime.UtcNow - started;
        await events.WaitForAsync(e => Fulfillments(e, "shipped").Count == Orders * 2, TimeSpan.FromMinutes(3), "every fulfillment shipped");
        var applied = DateTime.UtcNow - started;
        await Task.Delay(TimeSpan.FromSeconds(2)); // anything announced late (a duplicate, a step out of order) shows up too

        var problems = new List<string>();
        var all = events.Events;
        foreach (var fulfillment in all.GroupBy(e => e.Text("fulfillmentId")!))
        {
            var seen = fulfillment.OrderBy(e => e.Number("sequence")).ToList();
            var statuses = seen.Select(e => e.Text("status")).ToList();
            var sequences = seen.Select(e => e.Number("sequence")).ToList();
            if (!statuses.SequenceEqual(Expected) || !sequences.SequenceEqual(Enumerable.Range(1, Expected.Length)))
                problems.Add($"{fulfillment.Key}: {string.Join(" ", seen.Select(e => $"{e.Number("sequence")}:{e.Text("status")}"))}");
        }

        var errors = await system.Amqp.MessageCountAsync("fulfillment_error") + await system.Amqp.MessageCountAsync("order-status_error");
        output.WriteLine($"{instances} instance(s) of each service: {Orders} orders, {Orders * 2} fulfillments, {Orders * 2 * Steps.Length} steps " +
                         $"published back to back in {published.TotalSeconds:0.0} s, all shipped after {applied.TotalSeconds:0.0} s; " +
                         $"{all.Count} fulfillment.status_changed events (expected {Orders * 2 * Expected.Length}); " +
                         $"{Orders * 2 - problems.Count} of {Orders * 2} fulfillments with exactly pending..shipped, sequences 1..8; " +
                         $"{errors} messages in error queues");
        foreach (var problem in problems.Take(10))
            output.WriteLine("  " + problem);

        Assert.Empty(problems);
        Assert.Equal(Orders * 2 * Expected.Length, all.Count);
        Assert.Equal(0u, errors);
    }

    static List<string> Fulfillments(IReadOnlyList<ObservedEvent> events, string status) =>
        [.. events.Where(e => e.Text("status") == status).Select(e => e.Text("fulfillmentId")!).Distinct()];
}
