using OrderFulfillment.Contracts;

namespace OrderFulfillment.OrderService.Tests.OrderStatus;

public sealed class OverdueFulfillmentTests
{
    static readonly DateTimeOffset Since = OrderHarness.At.AddHours(1);

    [Fact]
    public async Task An_overdue_fulfillment_shows_in_the_order_until_its_status_changes()
    {
        await using var h = await OrderHarness.StartAsync();
        await h.ConfirmAsync("ORD-O1");
        await h.AnnounceAsync("ORD-O1", "WH-EAST", "planning", 1);
        await h.AnnounceAsync("ORD-O1", "WH-EAST", "picking", 1);

        await h.Host.DeliverAsync(Overdue("ORD-O1", "picking"));
        var overdue = Assert.Single((await h.OrderAsync("ORD-O1")).Fulfillments);
        Assert.Equal(("picking", Since, Since.AddHours(4)), (overdue.OverdueStatus, overdue.OverdueSince, overdue.OverdueDeadline));
        var entry = (await h.OrderAsync("ORD-O1")).Timeline[^1];
        Assert.Equal((FulfillmentOverdue.Exchange, "recorded"), (entry.Message, entry.Outcome));

        await h.AnnounceAsync("ORD-O1", "WH-EAST", "picked", 1);
        Assert.Null(Assert.Single((await h.OrderAsync("ORD-O1")).Fulfillments).OverdueStatus);
        // The order's status is not changed by a deadline.
        Assert.Equal(OrderStatuses.Processing, (await h.OrderAsync("ORD-O1")).Status);
    }

    [Fact]
    public async Task An_overdue_notice_for_a_status_already_left_is_stale()
    {
        await using var h = await OrderHarness.StartAsync();
        await h.ConfirmAsync("ORD-O2");
        await h.AnnounceAsync("ORD-O2", "WH-EAST", "planning", 1);
        await h.AnnounceAsync("ORD-O2", "WH-EAST", "picking", 1);
        await h.AnnounceAsync("ORD-O2", "WH-EAST", "picked", 1);

        await h.Host.DeliverAsync(Overdue("ORD-O2", "picking"));
        var order = await h.OrderAsync("ORD-O2");
        Assert.Null(Assert.Single(order.Fulfillments).OverdueStatus);
        Assert.Equal("stale", order.Timeline[^1].Outcome);
    }

    static FulfillmentOverdue Overdue(string orderId, string status) => new()
    {
        FulfillmentId = DeterministicId.ForFulfillment(orderId, "WH-EAST"),
        OrderId = orderId,
        WarehouseId = "WH-EAST",
        Status = status,
        Since = Since,
        Deadline = Since.AddHours(4),
    };
}
