using OrderFulfillment.Contracts;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>
/// The one table between the order machine's states and the contract's order statuses. The saga stores the state's
/// name (<c>current_state</c>, as MassTransit does); the wire, the status API and the rules speak the status.
/// Renaming a state's property changes the stored value (a migration), never the wire; a status is named here only.
/// </summary>
public static class OrderStatusMap
{
    static readonly Dictionary<string, string> StatusByState = new(StringComparer.Ordinal)
    {
        [nameof(OrderStateMachine.Confirmed)] = OrderStatuses.Confirmed,
        [nameof(OrderStateMachine.Processing)] = OrderStatuses.Processing,
        [nameof(OrderStateMachine.PartiallyShipped)] = OrderStatuses.PartiallyShipped,
        [nameof(OrderStateMachine.Shipped)] = OrderStatuses.Shipped,
        [nameof(OrderStateMachine.PartiallyDelivered)] = OrderStatuses.PartiallyDelivered,
        [nameof(OrderStateMachine.Delivered)] = OrderStatuses.Delivered,
        [nameof(OrderStateMachine.Cancelled)] = OrderStatuses.Cancelled,
    };

    static readonly Dictionary<string, string> StateByStatus = StatusByState.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>The states, by name, with their statuses.</summary>
    public static IReadOnlyDictionary<string, string> States => StatusByState;

    /// <summary>The contract status of a state (its stored name): <c>PartiallyShipped</c> → <c>partially_shipped</c>.</summary>
    public static string StatusOf(string state) =>
        StatusByState.TryGetValue(state, out var status) ? status : throw new ArgumentOutOfRangeException(nameof(state), state, "not an order state");

    /// <summary>The state (its stored name) of a contract status: <c>partially_shipped</c> → <c>PartiallyShipped</c>.</summary>
    public static string StateOf(string status) =>
        StateByStatus.TryGetValue(status, out var state) ? state : throw new ArgumentOutOfRangeException(nameof(status), status, "not an order status");
}
