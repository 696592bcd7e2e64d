namespace OrderFulfillment.Contracts;

/// <summary>
/// Every contract message type and the fanout exchange it travels on. Plain-JSON messages carry no type,
/// so the exchange they arrived through names it.
/// </summary>
public static class ContractExchanges
{
    public static readonly IReadOnlyDictionary<Type, string> ByType = new Dictionary<Type, string>
    {
        [typeof(OrderConfirmed)] = OrderConfirmed.Exchange,
        [typeof(OrderCancellationRequested)] = OrderCancellationRequested.Exchange,
        [typeof(DeliveryConfirmed)] = DeliveryConfirmed.Exchange,
        [typeof(WarehousePickingStarted)] = WarehousePickingStarted.Exchange,
        [typeof(WarehousePicked)] = WarehousePicked.Exchange,
        [typeof(WarehousePackingStarted)] = WarehousePackingStarted.Exchange,
        [typeof(WarehousePacked)] = WarehousePacked.Exchange,
        [typeof(WarehouseReadyToShip)] = WarehouseReadyToShip.Exchange,
        [typeof(WarehouseShipped)] = WarehouseShipped.Exchange,
        [typeof(WarehouseCompleted)] = WarehouseCompleted.Exchange,
        [typeof(WarehouseCancelled)] = WarehouseCancelled.Exchange,
        [typeof(OrderStatusChanged)] = OrderStatusChanged.Exchange,
        [typeof(FulfillmentStatusChanged)] = FulfillmentStatusChanged.Exchange,
        [typeof(OrderCancellationRefused)] = OrderCancellationRefused.Exchange,
        [typeof(FulfillmentOverdue)] = FulfillmentOverdue.Exchange,
    };

    public static readonly IReadOnlyDictionary<string, Type> ByExchange =
        ByType.ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);
}
