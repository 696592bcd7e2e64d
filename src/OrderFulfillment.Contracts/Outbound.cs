using System.Text.Json.Serialization;

namespace OrderFulfillment.Contracts;

/// <summary><c>order.status_changed</c>: published by the order service on every order status change.</summary>
public sealed record OrderStatusChanged
{
    public const string Exchange = "order.status_changed";
    public required string OrderId { get; init; }

    /// <summary>Null on an order's first event; written as <c>null</c>, never left out.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? PreviousStatus { get; init; }

    public required string Status { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }

    /// <summary>The order's lines exactly as order.confirmed gave them; on the first (confirmed) event only.</summary>
    public IReadOnlyList<OrderLine>? Lines { get; init; }

    /// <summary>Added to the contract: what caused the change (the inbound message type).</summary>
    public string? Cause { get; init; }
}

/// <summary>A line of a fulfillment: its warehouse is the fulfillment's.</summary>
public sealed record FulfillmentLine
{
    public required string Sku { get; init; }
    public required int Quantity { get; init; }
}

/// <summary><c>fulfillment.status_changed</c>: published by the fulfillment service on every fulfillment status change.</summary>
public sealed record FulfillmentStatusChanged
{
    public const string Exchange = "fulfillment.status_changed";
    public required Guid FulfillmentId { get; init; }
    public required string OrderId { get; init; }
    public required string WarehouseId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? PreviousStatus { get; init; }

    public required string Status { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }
    public required int Sequence { get; init; }
    public required IReadOnlyList<FulfillmentLine> Lines { get; init; }
    public string? Carrier { get; init; }
    public string? TrackingNumber { get; init; }

    /// <summary>Added to the contract: how many fulfillments the order was split into.</summary>
    public int FulfillmentCount { get; init; }

    /// <summary>Added to the contract: the reason of a cancellation.</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// <c>order.cancellation_refused</c>, added to the contract: a cancellation request came after a fulfillment
/// of the order had shipped, so nothing was cancelled.
/// </summary>
public sealed record OrderCancellationRefused
{
    public const string Exchange = "order.cancellation_refused";
    public required string OrderId { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
    public required DateTimeOffset RefusedAt { get; init; }
    public required IReadOnlyList<Guid> ShippedFulfillmentIds { get; init; }
}

/// <summary>
/// <c>fulfillment.overdue</c>, added to the contract: a fulfillment has stayed in <see cref="Status"/> past its configured
/// deadline (<c>FulfillmentDeadlines__&lt;status&gt;</c>). Published once per stay in a status; not published when the status
/// changes before the deadline.
/// </summary>
public sealed record FulfillmentOverdue
{
    public const string Exchange = "fulfillment.overdue";
    public required Guid FulfillmentId { get; init; }
    public required string OrderId { get; init; }
    public required string WarehouseId { get; init; }

    /// <summary>The status the fulfillment is stuck in.</summary>
    public required string Status { get; init; }

    /// <summary>When the fulfillment entered the status (the change's <c>changedAt</c>).</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary><see cref="Since"/> plus the status's configured deadline.</summary>
    public required DateTimeOffset Deadline { get; init; }
}
