using OrderFulfillment.IntegrationTests.Reliability;
using OrderFulfillment.TestSupport;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Deadlines;

/// <summary>
/// fulfillment.overdue on the real servers, with a picking deadline of a few seconds: seen by a plain AMQP consumer, once,
/// also when the fulfillment service is SIGKILLed after it scheduled the deadline; and never when the status changes first.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FulfillmentDeadlineTests(ITestOutputHelper output)
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(4);
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_fulfillment_stuck_in_picking_is_announced_overdue_once_even_when_the_service_is_killed_after_scheduling()
    {
        await using var system = await SystemUnderTest.StartAsync("deadline", e => e["FulfillmentDeadlines__picking"] = "00:00:04");
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed", "fulfillment.overdue");
        var fulfillmentId = await PlannedAsync(system, events, "ORD-DL1");

        var since = DateTimeOffset.UtcNow;
        await system.Amqp.PublishAsync("warehouse.picking_started", new { fulfillmentId, occurredAt = since.ToString("O") }, messageId: "wms-ORD-DL1-1");
        // The picking event is delivered after its transaction committed, and the deadline was scheduled in that transaction.
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == fulfillmentId && x.Text("status") == "picking"), Wait, "picking");
        await system.Fulfillments.KillAsync();
        Assert.DoesNotContain(events.Events, x => x.Exchange == "fulfillment.overdue");
        await system.Fulfillments.StartAsync();

        var seen = await events.WaitForAsync(e => e.Any(x => x.Exchange == "fulfillment.overdue"), Wait, "fulfillment.overdue");
        var overdue = seen.Single(x => x.Exchange == "fulfillment.overdue");
        output.WriteLine($"fulfillment.overdue ({overdue.ContentType}): {overdue.Body}");
        Assert.True(DateTimeOffset.UtcNow - since >= Deadline, "overdue before the deadline");
        Assert.Equal(fulfillmentId, overdue.Text("fulfillmentId"));
        Assert.Equal(("ORD-DL1", "WH-EAST", "picking"), (overdue.Text("orderId"), overdue.Text("warehouseId"), overdue.Text("status")));
        var announcedSince = DateTimeOffset.Parse(overdue.Text("since")!, System.Globalization.CultureInfo.InvariantCulture);
        var deadline = DateTimeOffset.Parse(overdue.Text("deadline")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(since.UtcDateTime, announcedSince.UtcDateTime, TimeSpan.FromMilliseconds(1));
        Assert.Equal(Deadline, deadline - announcedSince);

        using var http = system.Fulfillments.Http();
        var body = await http.GetStringAsync($"fulfillments/{fulfillmentId}");
        output.WriteLine($"GET /fulfillments/{fulfillmentId}: {body}");
        Assert.Contains("\"overdue\":{", body, StringComparison.Ordinal);

        // The order service shows it on the order's fulfillment.
        using var orders = system.Orders.Http();
        var until = DateTime.UtcNow + Wait;
        string order;
        while (!(order = await orders.GetStringAsync("orders/ORD-DL1")).Contains("\"overdueStatus\":\"picking\"", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < until, $"the order should show the overdue fulfillment: {order}");
            await Task.Delay(100); // the interval of a poll of the status API, not a quiet period
        }

        output.WriteLine($"GET /orders/ORD-DL1: {order}");

        // Once: no deadline is left scheduled, and the next step is the sentinel. The saga takes one fulfillment's messages
        // in order and its events reach the broker in commit order, so a second overdue would be announced before "picked".
        Assert.Equal(0, await FaultChecks.ScheduledMessagesAsync(system.Environment["ConnectionStrings__FulfillmentDb"]));
        await system.Amqp.PublishAsync("warehouse.picked", new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow.ToString("O") });
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == fulfillmentId && x.Text("status") == "picked"), Wait, "picked");
        Assert.Single(events.Events, x => x.Exchange == "fulfillment.overdue");
    }

    [Fact]
    public async Task A_status_change_before_the_deadline_cancels_it_and_nothing_is_announced()
    {
        await using var system = await SystemUnderTest.StartAsync("deadline-cancel", e => e["FulfillmentDeadlines__picking"] = "00:00:04");
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed", "fulfillment.overdue");
        var fulfillmentId = await PlannedAsync(system, events, "ORD-DL2");

        var since = DateTimeOffset.UtcNow;
        await system.Amqp.PublishAsync("warehouse.picking_started", new { fulfillmentId, occurredAt = since.ToString("O") });
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == fulfillmentId && x.Text("status") == "picking"), Wait, "picking");
        await system.Amqp.PublishAsync("warehouse.picked", new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow.ToString("O") });
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == fulfillmentId && x.Text("status") == "picked"), Wait, "picked");
        Assert.True(DateTimeOffset.UtcNow - since < Deadline, "the test was too slow to change the status before the deadline");

        // Nothing may come: "picked" deleted the deadline in its own transaction, which committed before its event was
        // delivered, so no deadline is left scheduled (one moved to the outbox just before would be ignored by the saga).
        // The next step is the sentinel: a deadline already on its way would be taken, and ignored, before it.
        Assert.Equal(0, await FaultChecks.ScheduledMessagesAsync(system.Environment["ConnectionStrings__FulfillmentDb"]));
        await system.Amqp.PublishAsync("warehouse.packing_started", new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow.ToString("O") });
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == fulfillmentId && x.Text("status") == "packing"), Wait, "packing");
        Assert.DoesNotContain(events.Events, x => x.Exchange == "fulfillment.overdue");
    }

    static async Task<string> PlannedAsync(SystemUnderTest system, EventLog events, string orderId)
    {
        await system.Amqp.PublishAsync("order.confirmed", new
        {
            orderId,
            confirmedAt = DateTimeOffset.UtcNow.ToString("O"),
            lines = new[] { new { sku = "SKU-1", quantity = 1, warehouseId = "WH-EAST" } },
        }, messageId: "checkout-" + orderId);
        var planned = await events.WaitForAsync(
            e => e.Any(x => x.Text("orderId") == orderId && x.Text("status") == "planning"), Wait, "the fulfillment planning");
        return planned.First(x => x.Text("orderId") == orderId && x.Text("status") == "planning").Text("fulfillmentId")!;
    }
}
