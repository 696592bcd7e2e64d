using OrderFulfillment.Contracts;
using OrderFulfillment.OrderService.OrderStatus;

namespace OrderFulfillment.OrderService.Tests.OrderStatus;

/// <summary>The contract's rules 3 to 5 on an order's fulfillments, without a bus.</summary>
public sealed class OrderStatusRulesTests
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>An order expecting <paramref name="fulfillmentCount"/> fulfillments, with those announced so far: a status each,
    /// with <c>+</c> after it when its delivery is confirmed (<c>"shipped+, ready"</c>).</summary>
    static OrderState Order(int fulfillmentCount, string announced = "") => new()
    {
        OrderId = "ORD-1",
        CurrentState = "Confirmed",
        FulfillmentCount = fulfillmentCount,
        Fulfillments =
        [
            .. announced.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select((f, i) => new TrackedFulfillment
            {
                FulfillmentId = Guid.NewGuid(),
                Status = f.TrimEnd('+'),
                Sequence = i + 1,
                DeliveredAt = f.EndsWith('+') ? At : null,
            }),
        ],
    };

    [Theory]
    [InlineData(0, "", OrderStatuses.Confirmed)] // nothing announced yet
    [InlineData(1, "pending", OrderStatuses.Confirmed)]
    [InlineData(2, "planning, pending", OrderStatuses.Processing)]
    [InlineData(2, "shipped, ready", OrderStatuses.PartiallyShipped)]
    [InlineData(2, "shipped", OrderStatuses.PartiallyShipped)] // one not announced yet counts as not shipped
    [InlineData(2, "completed, shipped", OrderStatuses.Shipped)] // completed is shipped, never delivered
    [InlineData(2, "shipped, cancelled", OrderStatuses.Shipped)] // a cancelled fulfillment is left out
    [InlineData(2, "shipped+, shipped", OrderStatuses.PartiallyDelivered)]
    [InlineData(2, "completed+, shipped+", OrderStatuses.Delivered)]
    [InlineData(2, "cancelled, cancelled", OrderStatuses.Cancelled)]
    [InlineData(2, "cancelled", OrderStatuses.Confirmed)] // not cancelled while another is not announced
    [InlineData(1, "ready+", OrderStatuses.Processing)] // a delivery counts only once shipped
    public void The_order_status_is_derived_from_its_fulfillments(int fulfillmentCount, string announced, string expected) =>
        Assert.Equal(expected, OrderStatusRules.Derive(Order(fulfillmentCount, announced)));

    [Theory]
    [InlineData(OrderStatuses.Confirmed, OrderStatuses.Processing, true, true)]
    [InlineData(OrderStatuses.Processing, OrderStatuses.Delivered, true, true)]
    [InlineData(OrderStatuses.Shipped, OrderStatuses.PartiallyShipped, false, false)]
    [InlineData(OrderStatuses.Shipped, OrderStatuses.Shipped, false, false)]
    [InlineData(OrderStatuses.Confirmed, OrderStatuses.Cancelled, true, true)]
    [InlineData(OrderStatuses.Processing, OrderStatuses.Cancelled, true, true)]
    [InlineData(OrderStatuses.PartiallyShipped, OrderStatuses.Cancelled, true, false)] // a shipped fulfillment is never cancelled
    [InlineData(OrderStatuses.Delivered, OrderStatuses.Cancelled, true, false)]
    [InlineData(OrderStatuses.Cancelled, OrderStatuses.Delivered, false, false)]
    [InlineData(OrderStatuses.Cancelled, OrderStatuses.Cancelled, false, false)]
    public void The_status_only_moves_forward_to_cancelled_only_before_a_shipment_and_cancelled_is_terminal(string current, string next,
        bool advance, bool moves)
    {
        Assert.Equal(advance, OrderStatusRules.IsAdvance(current, next));
        Assert.Equal(moves, OrderStatusRules.CanMove(current, next));
    }

    [Fact]
    public void An_older_sequence_is_stale_and_the_same_one_a_duplicate()
    {
        var order = Order(1);
        var id = Guid.NewGuid();
        Assert.Equal(TimelineOutcomes.Recorded, OrderStatusRules.RecordFulfillment(order, Change(id, FulfillmentStatuses.Picked, 4)));
        Assert.Equal(TimelineOutcomes.Duplicate, OrderStatusRules.RecordFulfillment(order, Change(id, FulfillmentStatuses.Picked, 4)));
        Assert.Equal(TimelineOutcomes.Stale, OrderStatusRules.RecordFulfillment(order, Change(id, FulfillmentStatuses.Picking, 3)));
        Assert.Equal(FulfillmentStatuses.Picked, Assert.Single(order.Fulfillments).Status);
    }

    [Fact]
    public void A_delivery_before_the_shipment_is_held_and_counts_once_shipped()
    {
        var order = Order(1);
        var id = Guid.NewGuid();
        OrderStatusRules.RecordFulfillment(order, Change(id, FulfillmentStatuses.Packed, 6));
        Assert.Equal(TimelineOutcomes.Held, OrderStatusRules.RecordDelivery(order, Delivery(id)));
        Assert.Equal(OrderStatuses.Processing, OrderStatusRules.Derive(order));

        OrderStatusRules.RecordFulfillment(order, Change(id, FulfillmentStatuses.Shipped, 8));
        Assert.Equal(OrderStatuses.Delivered, OrderStatusRules.Derive(order));
        Assert.Equal(TimelineOutcomes.Duplicate, OrderStatusRules.RecordDelivery(order, Delivery(id)));
    }

    static FulfillmentStatusChanged Change(Guid id, string status, int sequence) => new()
    {
        FulfillmentId = id,
        OrderId = "ORD-1",
        WarehouseId = "WH-EAST",
        PreviousStatus = null,
        Status = status,
        ChangedAt = At,
        Sequence = sequence,
        Lines = [new FulfillmentLine { Sku = "SKU-1", Quantity = 1 }],
        FulfillmentCount = 1,
    };

    static DeliveryConfirmed Delivery(Guid id) => new()
    {
        OrderId = "ORD-1",
        FulfillmentId = id,
        DeliveredAt = At,
        Carrier = "UPS",
        TrackingNumber = "1Z",
    };
}
