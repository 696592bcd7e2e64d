namespace OrderFulfillment.Contracts;

/// <summary>
/// Every contract message type and the fanout exchange it travels on. Plain-JSON messages carry no type,
/// so the exchange they arrived through names it. The warehouse steps' come from <see cref="WarehouseSteps"/>.
/// </summary>
public static class ContractExchanges
{
    public static readonly IReadOnlyDictionary<Type, string> ByType = new Dictionary<Type, string>(
        WarehouseSteps.All.Select(step => KeyValuePair.Create(step.Message, step.Exchange)))
    {
        [typeof(OrderConfirmed)] = OrderConfirmed.Exchange,
        [typeof(OrderCancellationRequested)] = OrderCancellationRequested.Exchange,
        [typeof(DeliveryConfirmed)] = DeliveryConfirmed.Exchange,
        [typeof(OrderStatusChanged)] = OrderStatusChanged.Exchange,
        [typeof(FulfillmentStatusChanged)] = FulfillmentStatusChanged.Exchange,
        [typeof(OrderCancellationRefused)] = OrderCancellationRefused.Exchange,
        [typeof(FulfillmentOverdue)] = FulfillmentOverdue.Exchange,
    };

    public static readonly IReadOnlyDictionary<string, Type> ByExchange =
        ByType.ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);
}
