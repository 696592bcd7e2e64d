using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>
/// The one table between the order machine's states and the contract's order statuses (<see cref="SagaStatusMap"/>):
/// the saga stores the state's name, the wire and the status API speak the status.
/// </summary>
public static class OrderStatusMap
{
    public static readonly SagaStatusMap Table = new("order", new Dictionary<string, string>
    {
        [nameof(OrderStateMachine.Confirmed)] = OrderStatuses.Confirmed,
        [nameof(OrderStateMachine.Processing)] = OrderStatuses.Processing,
        [nameof(OrderStateMachine.PartiallyShipped)] = OrderStatuses.PartiallyShipped,
        [nameof(OrderStateMachine.Shipped)] = OrderStatuses.Shipped,
        [nameof(OrderStateMachine.PartiallyDelivered)] = OrderStatuses.PartiallyDelivered,
        [nameof(OrderStateMachine.Delivered)] = OrderStatuses.Delivered,
        [nameof(OrderStateMachine.Cancelled)] = OrderStatuses.Cancelled,
    });
}
