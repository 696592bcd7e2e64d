using OrderFulfillment.Messaging;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>A warehouse step for a fulfillment id this system never announced.</summary>
public sealed class UnknownFulfillmentException(Guid fulfillmentId)
    : PermanentMessageException($"Unknown fulfillmentId {fulfillmentId}: no fulfillment with this id was ever announced");

/// <summary>A step that the fulfillment's status forbids: a step after cancelled, or a cancellation after shipment.</summary>
public sealed class StepRejectedException(Guid fulfillmentId, string step, string status)
    : PermanentMessageException($"Fulfillment {fulfillmentId} is {status}: {step} cannot be applied");

/// <summary>
/// A cancellation of an order that has no fulfillments (yet). Retried, since the order's confirmation may still be on
/// its way; dead-lettered when the retries run out.
/// </summary>
public sealed class UnknownOrderException(string orderId, string detail)
    : Exception($"Unknown orderId {orderId}: {detail}");
