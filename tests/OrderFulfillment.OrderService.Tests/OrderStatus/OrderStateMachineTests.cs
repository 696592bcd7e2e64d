using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;
using OrderFulfillment.OrderService.Data;
using OrderFulfillment.OrderService.OrderStatus;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.OrderService.Tests.OrderStatus;

/// <summary>
/// The order saga's scenarios on EF Core's in-memory database, and again through the production pipeline
/// (<see cref="OnPostgres"/>): the saga on PostgreSQL, each message one transaction of the outbox and inbox, its events
/// published by the outbox's delivery.
/// </summary>
public class OrderStateMachineTests(PostgresHarnessDatabase<OrderDbContext>? database = null)
{
    [Fact]
    public async Task The_first_event_is_confirmed_with_no_previous_status_and_the_order_lines()
    {
        await using var h = await OrderHarness.StartAsync(database);

        await h.ConfirmAsync("ORD-1");

        var first = Assert.Single(h.Host.Published<OrderStatusChanged>());
        Assert.Null(first.PreviousStatus);
        Assert.Equal("confirmed", first.Status);
        Assert.Equal([("SKU-1", 2, "WH-EAST"), ("SKU-3", 5, null)], first.Lines!.Select(l => (l.Sku, l.Quantity, l.WarehouseId)));
    }

    [Fact]
    public async Task Two_fulfillments_take_the_order_from_confirmed_to_delivered()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-2");

        await h.AnnounceAsync("ORD-2", "WH-EAST", "pending", 2);
        await h.AnnounceAsync("ORD-2", "WH-EAST", "planning", 2);
        await h.AnnounceAsync("ORD-2", "WH-WEST", "pending", 2);
        await h.AnnounceAsync("ORD-2", "WH-WEST", "planning", 2);
        await h.AnnounceAsync("ORD-2", "WH-EAST", "shipped", 2);
        await h.AnnounceAsync("ORD-2", "WH-WEST", "shipped", 2);
        await h.DeliverAsync("ORD-2", "WH-EAST");
        await h.DeliverAsync("ORD-2", "WH-WEST");

        Assert.Equal(
            [(null, "confirmed"), ("confirmed", "processing"), ("processing", "partially_shipped"), ("partially_shipped", "shipped"),
                ("shipped", "partially_delivered"), ("partially_delivered", "delivered")],
            h.StatusChanges("ORD-2"));
        Assert.Equal("delivered", (await h.OrderAsync("ORD-2")).Status);
    }

    [Fact]
    public async Task Completed_by_the_warehouse_never_makes_an_order_delivered()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-3");
        await h.AnnounceAsync("ORD-3", "WH-EAST", "shipped", 1);

        await h.AnnounceAsync("ORD-3", "WH-EAST", "completed", 1);

        Assert.Equal("shipped", h.StatusChanges("ORD-3")[^1].Status);
    }

    [Fact]
    public async Task Delivery_before_shipment_is_kept_and_applied_once_shipped()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-4");
        await h.AnnounceAsync("ORD-4", "WH-EAST", "planning", 1);

        await h.DeliverAsync("ORD-4", "WH-EAST");
        Assert.Equal("processing", h.StatusChanges("ORD-4")[^1].Status);
        Assert.Contains((await h.OrderAsync("ORD-4")).Timeline, e => e.Outcome == "held");

        await h.AnnounceAsync("ORD-4", "WH-EAST", "shipped", 1);
        Assert.Equal([("processing", "delivered")], h.StatusChanges("ORD-4").Skip(2));
    }

    [Fact]
    public async Task Out_of_order_events_never_move_the_status_backwards()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-5");

        await h.Host.DeliverAsync(OrderHarness.Announcement("ORD-5", "WH-EAST", "shipped", 3, 1));
        var stale = await h.Host.DeliverAsync(OrderHarness.Announcement("ORD-5", "WH-EAST", "planning", 2, 1));
        var duplicate = await h.Host.DeliverAsync(OrderHarness.Announcement("ORD-5", "WH-EAST", "shipped", 3, 1));

        Assert.Null(stale.Exception);
        Assert.Null(duplicate.Exception);
        Assert.Equal([(null, "confirmed"), ("confirmed", "shipped")], h.StatusChanges("ORD-5"));
        var timeline = (await h.OrderAsync("ORD-5")).Timeline;
        Assert.Contains(timeline, e => e.Outcome == "stale");
        Assert.Contains(timeline, e => e.Outcome == "duplicate");
    }

    [Fact]
    public async Task An_order_whose_fulfillments_are_all_cancelled_is_cancelled_and_stays_so()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-6");
        await h.AnnounceAsync("ORD-6", "WH-EAST", "planning", 2);
        await h.AnnounceAsync("ORD-6", "WH-WEST", "planning", 2);

        await h.AnnounceAsync("ORD-6", "WH-EAST", "cancelled", 2);
        Assert.Equal("processing", h.StatusChanges("ORD-6")[^1].Status);
        await h.AnnounceAsync("ORD-6", "WH-WEST", "cancelled", 2);
        await h.DeliverAsync("ORD-6", "WH-WEST");

        Assert.Equal([(null, "confirmed"), ("confirmed", "processing"), ("processing", "cancelled")], h.StatusChanges("ORD-6"));
    }

    [Fact]
    public async Task Three_fulfillments_with_one_cancelled_deliver_over_the_other_two()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-7");
        foreach (var warehouse in new[] { "WH-A", "WH-B", "WH-C" })
            await h.AnnounceAsync("ORD-7", warehouse, "planning", 3);

        await h.AnnounceAsync("ORD-7", "WH-B", "cancelled", 3);
        await h.AnnounceAsync("ORD-7", "WH-A", "shipped", 3);
        await h.AnnounceAsync("ORD-7", "WH-C", "shipped", 3);
        await h.DeliverAsync("ORD-7", "WH-A");
        await h.DeliverAsync("ORD-7", "WH-C");

        Assert.Equal(
            ["confirmed", "processing", "partially_shipped", "shipped", "partially_delivered", "delivered"],
            h.StatusChanges("ORD-7").Select(c => c.Status));
    }

    [Fact]
    public async Task A_fulfillment_not_yet_announced_holds_the_order_below_shipped()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-8");

        await h.AnnounceAsync("ORD-8", "WH-EAST", "shipped", 2);

        Assert.Equal("partially_shipped", h.StatusChanges("ORD-8")[^1].Status);
    }

    [Fact]
    public async Task A_repeated_confirmation_publishes_nothing()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-9");

        var again = await h.ConfirmAsync("ORD-9");

        Assert.Null(again.Exception);
        Assert.Single(h.StatusChanges("ORD-9"));
    }

    [Fact]
    public async Task A_cancellation_refusal_is_visible_in_the_timeline()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-10");

        await h.Host.DeliverAsync(new OrderCancellationRefused
        {
            OrderId = "ORD-10",
            Reason = "1 of the order's 1 fulfillments have shipped",
            RequestedAt = OrderHarness.At,
            RefusedAt = OrderHarness.At,
            ShippedFulfillmentIds = [Guid.NewGuid()],
        });

        Assert.Contains((await h.OrderAsync("ORD-10")).Timeline, e => e.Outcome == "refused" && e.Message == "order.cancellation_refused");
    }

    [Fact]
    public async Task An_invalid_order_is_rejected_with_the_reason()
    {
        await using var h = await OrderHarness.StartAsync(database);

        var received = await h.Host.DeliverAsync(new OrderConfirmed { OrderId = "bad id!", ConfirmedAt = OrderHarness.At, Lines = [] });

        var error = Assert.IsType<InvalidMessageException>(received.Exception);
        Assert.Contains("orderId 'bad id!' must be 1 to 64 characters", error.Message);
        Assert.Contains("lines must hold at least one line", error.Message);
        Assert.Empty(h.Host.Published<OrderStatusChanged>());
    }

    [Fact]
    public async Task A_delivery_for_a_fulfillment_the_order_does_not_have_is_rejected()
    {
        await using var h = await OrderHarness.StartAsync(database);
        await h.ConfirmAsync("ORD-11");
        await h.AnnounceAsync("ORD-11", "WH-EAST", "shipped", 1);

        var received = await h.DeliverAsync("ORD-11", "WH-NOWHERE");

        Assert.IsType<FulfillmentNotInOrderException>(received.Exception);
    }

    [Trait("Category", "Postgres")] // the same scenarios through the outbox and inbox on PostgreSQL; test.sh --fast leaves them out
    public sealed class OnPostgres(PostgresHarnessDatabase<OrderDbContext> database) : OrderStateMachineTests(database), IClassFixture<PostgresHarnessDatabase<OrderDbContext>>;
}
