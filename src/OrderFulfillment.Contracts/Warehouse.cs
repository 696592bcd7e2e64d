namespace OrderFulfillment.Contracts;

// Warehouse progress from the WMS: one exchange per step, all carrying the fulfillment id that
// fulfillment.status_changed announced.

public sealed record WarehousePickingStarted
{
    public const string Exchange = "warehouse.picking_started";
    public required Guid FulfillmentId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record WarehousePicked
{
    public const string Exchange = "warehouse.picked";
    public required Guid FulfillmentId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record WarehousePackingStarted
{
    public const string Exchange = "warehouse.packing_started";
    public required Guid FulfillmentId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record WarehousePacked
{
    public const string Exchange = "warehouse.packed";
    public required Guid FulfillmentId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record WarehouseReadyToShip
{
    public const string Exchange = "warehouse.ready_to_ship";
    public required Guid FulfillmentId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record WarehouseShipped
{
    public const string Exchange = "warehouse.shipped";
    public required Guid FulfillmentId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string Carrier { get; init; }
    public required string TrackingNumber { get; init; }
}

public sealed record WarehouseCompleted
{
    public const string Exchange = "warehouse.completed";
    public required Guid FulfillmentId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record WarehouseCancelled
{
    public const string Exchange = "warehouse.cancelled";
    public required Guid FulfillmentId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public string? Reason { get; init; }
}
