using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>One order as the customer sees it: its status, derived from its fulfillments, and how it got there.</summary>
public sealed class OrderState : IVersionedSaga
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = null!;
    public uint Version { get; set; }

    public string OrderId { get; set; } = null!;

    /// <summary>The contract's order status (confirmed … delivered, or cancelled): the current state, as the wire spells it.</summary>
    public string Status => OrderStatusMap.Table.StatusOf(CurrentState);

    public DateTimeOffset ConfirmedAt { get; set; }
    public List<OrderLine> Lines { get; set; } = [];

    /// <summary>How many fulfillments the order was split into, once the first fulfillment event told.</summary>
    public int FulfillmentCount { get; set; }

    public List<TrackedFulfillment> Fulfillments { get; set; } = [];
    public List<TimelineEntry> Timeline { get; set; } = [];
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>What the order knows of one of its fulfillments: the latest announced status, and its delivery.</summary>
public sealed record TrackedFulfillment
{
    public Guid FulfillmentId { get; set; }
    public string? WarehouseId { get; set; }

    /// <summary>The status of the highest sequence received; <c>pending</c> until the first event arrives.</summary>
    public string Status { get; set; } = FulfillmentStatuses.Pending;

    public int Sequence { get; set; }
    public string? Carrier { get; set; }
    public string? TrackingNumber { get; set; }

    /// <summary>Set by delivery.confirmed; counts only once the fulfillment has shipped (an early one is held).</summary>
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>
    /// Set by fulfillment.overdue: the status the fulfillment stayed in past its deadline (flat fields: a JSON column element
    /// holds only values). Cleared when the fulfillment is announced in another status.
    /// </summary>
    public string? OverdueStatus { get; set; }

    /// <summary>When the fulfillment entered <see cref="OverdueStatus"/>.</summary>
    public DateTimeOffset? OverdueSince { get; set; }

    /// <summary>The deadline it passed: <see cref="OverdueSince"/> plus the status's configured span.</summary>
    public DateTimeOffset? OverdueDeadline { get; set; }
}

/// <summary>
/// One entry of the order's timeline: every message received and what it did, including what was deliberately not
/// applied (a duplicate, a stale step, a refused cancellation, an early delivery held until shipment).
/// </summary>
public sealed record TimelineEntry(
    DateTimeOffset At,
    string Message,
    string Outcome,
    string? PreviousStatus = null,
    string? Status = null,
    Guid? FulfillmentId = null,
    string? Detail = null);

/// <summary>What a received message did to the order.</summary>
public static class TimelineOutcomes
{
    public const string StatusChanged = "status_changed";
    public const string Recorded = "recorded";
    public const string Duplicate = "duplicate";
    public const string Stale = "stale";
    public const string Held = "held";
    public const string Refused = "refused";
}
