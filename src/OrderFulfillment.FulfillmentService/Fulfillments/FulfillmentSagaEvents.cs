using OrderFulfillment.Contracts;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

// Events of the fulfillment saga that travel on no contract exchange: internal to the fulfillment service.

/// <summary>
/// A fulfillment planned for a confirmed order: one per warehouse, with an id that is stable for the order and
/// warehouse. Sent to the <c>fulfillment</c> queue by <see cref="OrderStatusChangedConsumer"/>, through the outbox of
/// the transaction that plans the order.
/// </summary>
public sealed record FulfillmentPlanned(
    Guid FulfillmentId, string OrderId, string WarehouseId, IReadOnlyList<FulfillmentLine> Lines, int FulfillmentCount, DateTimeOffset PlannedAt);

/// <summary>
/// The fulfillment is cancelled together with the rest of its order. Sent to the <c>fulfillment</c> queue by
/// <see cref="OrderCancellationRequestedConsumer"/> for each of the order's open fulfillments, through the outbox of
/// the one transaction that decides for them all.
/// </summary>
public sealed record CancelledWithOrder(Guid FulfillmentId, string Reason, DateTimeOffset RequestedAt);

/// <summary>
/// The timeout a fulfillment schedules on entering a status with a deadline. Sent, when due, to the service's own
/// <c>fulfillment</c> queue.
/// </summary>
public sealed record FulfillmentDeadlineReached(Guid FulfillmentId, string Status, DateTimeOffset Since, DateTimeOffset Deadline);

/// <summary>
/// The end of a fulfillment's hold window: steps still held then are applied as skip-aheads. Scheduled, through the
/// transactional outbox, when a step is first held; sent, when due, to the service's own <c>fulfillment</c> queue.
/// </summary>
public sealed record FulfillmentHoldExpired(Guid FulfillmentId);
