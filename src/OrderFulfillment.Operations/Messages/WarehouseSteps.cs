using OrderFulfillment.Contracts;

namespace OrderFulfillment.Operations.Messages;

/// <summary>A warehouse step: its command-line name, its exchange, and the fulfillment status it moves to.</summary>
public sealed record WarehouseStep(string Name, string Exchange, string TargetStatus)
{
    public static readonly IReadOnlyList<WarehouseStep> All =
    [
        new("picking-started", WarehousePickingStarted.Exchange, FulfillmentStatuses.Picking),
        new("picked", WarehousePicked.Exchange, FulfillmentStatuses.Picked),
        new("packing-started", WarehousePackingStarted.Exchange, FulfillmentStatuses.Packing),
        new("packed", WarehousePacked.Exchange, FulfillmentStatuses.Packed),
        new("ready-to-ship", WarehouseReadyToShip.Exchange, FulfillmentStatuses.Ready),
        new("shipped", WarehouseShipped.Exchange, FulfillmentStatuses.Shipped),
        new("completed", WarehouseCompleted.Exchange, FulfillmentStatuses.Completed),
        new("cancelled", WarehouseCancelled.Exchange, FulfillmentStatuses.Cancelled),
    ];

    public static WarehouseStep Shipped => All[5];

    public static WarehouseStep Cancelled => All[7];

    public static WarehouseStep? ByName(string name) => All.FirstOrDefault(s => s.Name == name);

    public static WarehouseStep? ByExchange(string? exchange) => All.FirstOrDefault(s => s.Exchange == exchange);

    /// <summary>The step that moves a fulfillment on from <paramref name="status"/> in the normal lifecycle (planning → picking-started …).</summary>
    public static WarehouseStep? After(string status)
    {
        var rank = FulfillmentStatuses.Rank(status);
        return rank < FulfillmentStatuses.Rank(FulfillmentStatuses.Planning) ? null
            : All.FirstOrDefault(s => s != Cancelled && FulfillmentStatuses.Rank(s.TargetStatus) == rank + 1);
    }
}
