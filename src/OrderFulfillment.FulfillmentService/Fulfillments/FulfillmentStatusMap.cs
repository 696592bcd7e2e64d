using OrderFulfillment.Contracts;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// The one table between the fulfillment machine's states and the contract's fulfillment statuses. The saga stores the
/// state's name (<c>current_state</c>, as MassTransit does); the wire, the status API and the rules speak the status.
/// Renaming a state's property changes the stored value (a migration), never the wire; a status is named here only.
/// </summary>
public static class FulfillmentStatusMap
{
    static readonly Dictionary<string, string> StatusByState = new(StringComparer.Ordinal)
    {
        [nameof(FulfillmentStateMachine.Pending)] = FulfillmentStatuses.Pending,
        [nameof(FulfillmentStateMachine.Planning)] = FulfillmentStatuses.Planning,
        [nameof(FulfillmentStateMachine.Picking)] = FulfillmentStatuses.Picking,
        [nameof(FulfillmentStateMachine.Picked)] = FulfillmentStatuses.Picked,
        [nameof(FulfillmentStateMachine.Packing)] = FulfillmentStatuses.Packing,
        [nameof(FulfillmentStateMachine.Packed)] = FulfillmentStatuses.Packed,
        [nameof(FulfillmentStateMachine.Ready)] = FulfillmentStatuses.Ready,
        [nameof(FulfillmentStateMachine.Shipped)] = FulfillmentStatuses.Shipped,
        [nameof(FulfillmentStateMachine.Completed)] = FulfillmentStatuses.Completed,
        [nameof(FulfillmentStateMachine.Cancelled)] = FulfillmentStatuses.Cancelled,
    };

    static readonly Dictionary<string, string> StateByStatus = StatusByState.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>The states, by name, with their statuses.</summary>
    public static IReadOnlyDictionary<string, string> States => StatusByState;

    /// <summary>The contract status of a state (its stored name): <c>Picking</c> → <c>picking</c>.</summary>
    public static string StatusOf(string state) =>
        StatusByState.TryGetValue(state, out var status) ? status : throw new ArgumentOutOfRangeException(nameof(state), state, "not a fulfillment state");

    /// <summary>The state (its stored name) of a contract status: <c>picking</c> → <c>Picking</c>.</summary>
    public static string StateOf(string status) =>
        StateByStatus.TryGetValue(status, out var state) ? state : throw new ArgumentOutOfRangeException(nameof(status), status, "not a fulfillment status");
}
