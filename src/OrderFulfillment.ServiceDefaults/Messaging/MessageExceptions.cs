namespace OrderFulfillment.ServiceDefaults.Messaging;

/// <summary>
/// A message that no retry can mend: it goes to the endpoint's error queue at once, with this exception's message
/// as the reason. Every other exception is retried first (see <see cref="MessageRetryPolicy"/>).
/// </summary>
public abstract class PermanentMessageException(string message) : Exception(message);

/// <summary>A message with a missing or invalid field.</summary>
public sealed class InvalidMessageException(string messageType, IReadOnlyList<string> errors)
    : PermanentMessageException($"Invalid {messageType}: {string.Join("; ", errors)}")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>A warehouse step for a fulfillment id this system never announced.</summary>
public sealed class UnknownFulfillmentException(Guid fulfillmentId)
    : PermanentMessageException($"Unknown fulfillmentId {fulfillmentId}: no fulfillment with this id was ever announced");

/// <summary>A step that the fulfillment's status forbids: a step after cancelled, or a cancellation after shipment.</summary>
public sealed class StepRejectedException(Guid fulfillmentId, string step, string status)
    : PermanentMessageException($"Fulfillment {fulfillmentId} is {status}: {step} cannot be applied");

/// <summary>
/// A message about an order this service does not know (yet). Retried, since the order's first message may still be
/// on its way; dead-lettered when the retries run out.
/// </summary>
public sealed class UnknownOrderException(string orderId, string detail)
    : Exception($"Unknown orderId {orderId}: {detail}");

/// <summary>A message naming a fulfillment that the order, which knows all its fulfillments, does not have.</summary>
public sealed class FulfillmentNotInOrderException(string orderId, Guid fulfillmentId)
    : PermanentMessageException($"Fulfillment {fulfillmentId} is not one of order {orderId}'s fulfillments");
