namespace OrderFulfillment.Contracts;

/// <summary>An ordered line. <c>WarehouseId</c> is optional: planning assigns one where it is missing.</summary>
public sealed record OrderLine
{
    public required string Sku { get; init; }
    public required int Quantity { get; init; }
    public string? WarehouseId { get; init; }
}

/// <summary><c>order.confirmed</c>: checkout, after a successful payment.</summary>
public sealed record OrderConfirmed
{
    public const string Exchange = "order.confirmed";
    public required string OrderId { get; init; }
    public required DateTimeOffset ConfirmedAt { get; init; }
    public required IReadOnlyList<OrderLine> Lines { get; init; }
}

/// <summary><c>order.cancellation_requested</c>: checkout or customer service.</summary>
public sealed record OrderCancellationRequested
{
    public const string Exchange = "order.cancellation_requested";
    public required string OrderId { get; init; }
    public string? Reason { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
}

/// <summary><c>delivery.confirmed</c>: shipping / carrier webhooks.</summary>
public sealed record DeliveryConfirmed
{
    public const string Exchange = "delivery.confirmed";
    public required string OrderId { get; init; }
    public required Guid FulfillmentId { get; init; }
    public required DateTimeOffset DeliveredAt { get; init; }
    public string? Carrier { get; init; }
    public string? TrackingNumber { get; init; }
}
