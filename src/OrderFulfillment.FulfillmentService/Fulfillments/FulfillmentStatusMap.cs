using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// The one table between the fulfillment machine's states and the contract's fulfillment statuses (<see cref="SagaStatusMap"/>):
/// the saga stores the state's name, the wire and the status API speak the status.
/// </summary>
public static class FulfillmentStatusMap
{
    public static readonly SagaStatusMap Table = new("fulfillment", new Dictionary<string, string>
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
    });
}
