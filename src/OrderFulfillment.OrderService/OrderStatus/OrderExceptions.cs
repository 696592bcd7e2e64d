using OrderFulfillment.Messaging;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>
/// A message about an order this service does not know (yet). Retried, since the order's first message may still be
/// on its way; dead-lettered when the retries run out.
/// </summary>
public sealed class UnknownOrderException(string orderId, string detail)
    : Exception($"Unknown orderId {orderId}: {detail}");

/// <summary>A delivery naming a fulfillment that the order, which knows all its fulfillments, does not have.</summary>
public sealed class FulfillmentNotInOrderException(string orderId, Guid fulfillmentId)
    : PermanentMessageException($"Fulfillment {fulfillmentId} is not one of order {orderId}'s fulfillments");
