using OrderFulfillment.Contracts;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>
/// The contract's rules 3 to 5 over one order, without messaging: the status is derived from the fulfillments that
/// are not cancelled, delivered counts only from delivery.confirmed on a shipped fulfillment, and the status never
/// moves backwards (cancelled is terminal).
/// </summary>
public static class OrderStatusRules
{
    /// <summary>Records a fulfillment's announced status; a sequence at or below the known one is a duplicate or stale.</summary>
    public static string RecordFulfillment(OrderState order, FulfillmentStatusChanged change)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(change);
        order.FulfillmentCount = Math.Max(order.FulfillmentCount, change.FulfillmentCount);
        var fulfillment = Track(order, change.FulfillmentId);
        fulfillment.WarehouseId = change.WarehouseId;
        if (change.Sequence == fulfillment.Sequence)
            return TimelineOutcomes.Duplicate;
        if (change.Sequence < fulfillment.Sequence)
            return TimelineOutcomes.Stale;

        fulfillment.Sequence = change.Sequence;
        fulfillment.Status = change.Status;
        // An overdue notice of the status just announced may arrive first (consumers run side by side); keep that one.
        if (fulfillment.OverdueStatus != change.Status)
            (fulfillment.OverdueStatus, fulfillment.OverdueSince, fulfillment.OverdueDeadline) = (null, null, null);
        fulfillment.Carrier = change.Carrier ?? fulfillment.Carrier;
        fulfillment.TrackingNumber = change.TrackingNumber ?? fulfillment.TrackingNumber;
        return TimelineOutcomes.Recorded;
    }

    /// <summary>
    /// Records that a fulfillment is overdue in a status. One for a status the fulfillment has already left (or a
    /// cancelled or completed fulfillment) is stale.
    /// </summary>
    public static string RecordOverdue(OrderState order, FulfillmentOverdue overdue)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(overdue);
        var fulfillment = Track(order, overdue.FulfillmentId);
        fulfillment.WarehouseId ??= overdue.WarehouseId;
        if (fulfillment.Status is FulfillmentStatuses.Cancelled or FulfillmentStatuses.Completed
            || FulfillmentStatuses.Rank(fulfillment.Status) > FulfillmentStatuses.Rank(overdue.Status))
            return TimelineOutcomes.Stale;
        (fulfillment.OverdueStatus, fulfillment.OverdueSince, fulfillment.OverdueDeadline) = (overdue.Status, overdue.Since, overdue.Deadline);
        return TimelineOutcomes.Recorded;
    }

    /// <summary>Records a delivery; one for a fulfillment that has not shipped (yet) is held until it has.</summary>
    public static string RecordDelivery(OrderState order, DeliveryConfirmed delivery)
    {
        if (IsForAnotherFulfillment(order, delivery))
            throw new FulfillmentNotInOrderException(order.OrderId, delivery.FulfillmentId);

        var fulfillment = Track(order, delivery.FulfillmentId);
        if (fulfillment.DeliveredAt is not null)
            return TimelineOutcomes.Duplicate;
        fulfillment.DeliveredAt = delivery.DeliveredAt;
        fulfillment.Carrier ??= delivery.Carrier;
        fulfillment.TrackingNumber ??= delivery.TrackingNumber;
        return HasShipped(fulfillment) ? TimelineOutcomes.Recorded : TimelineOutcomes.Held;
    }

    /// <summary>Whether a delivery names none of the order's fulfillments, once all of them have been announced.</summary>
    public static bool IsForAnotherFulfillment(OrderState order, DeliveryConfirmed delivery)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(delivery);
        var announced = order.Fulfillments.Count(f => f.Sequence > 0);
        var known = order.Fulfillments.Any(f => f.FulfillmentId == delivery.FulfillmentId && f.Sequence > 0);
        return !known && order.FulfillmentCount > 0 && announced >= order.FulfillmentCount;
    }

    /// <summary>Rule 3: the status the fulfillments call for, before the no-regression rule.</summary>
    public static string Derive(OrderState order)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (order.FulfillmentCount == 0)
            return OrderStatuses.Confirmed;

        // Only announced fulfillments count; one not heard of yet counts as pending. A held delivery for an id that
        // is never announced counts for nothing.
        var announced = order.Fulfillments.Where(f => f.Sequence > 0).ToList();
        var unknown = Math.Max(0, order.FulfillmentCount - announced.Count);
        var active = announced.Where(f => f.Status != FulfillmentStatuses.Cancelled).ToList();
        if (active.Count == 0 && unknown == 0)
            return OrderStatuses.Cancelled;

        var total = active.Count + unknown;
        var shipped = active.Count(HasShipped);
        var delivered = active.Count(f => HasShipped(f) && f.DeliveredAt is not null);
        if (delivered == total) return OrderStatuses.Delivered;
        if (delivered > 0) return OrderStatuses.PartiallyDelivered;
        if (shipped == total) return OrderStatuses.Shipped;
        if (shipped > 0) return OrderStatuses.PartiallyShipped;
        return active.Any(f => f.Status != FulfillmentStatuses.Pending) ? OrderStatuses.Processing : OrderStatuses.Confirmed;
    }

    /// <summary>Rule 5: whether moving from <paramref name="current"/> to <paramref name="next"/> is a forward change.</summary>
    public static bool IsAdvance(string current, string next)
    {
        if (current == next || current == OrderStatuses.Cancelled)
            return false;
        if (next == OrderStatuses.Cancelled)
            return true;
        return Rank(next) > Rank(current);
    }

    /// <summary>
    /// Whether an order in <paramref name="current"/> can move to <paramref name="next"/>: forward (<see cref="IsAdvance"/>),
    /// and to cancelled only before any of its fulfillments shipped (a shipped fulfillment is never cancelled, rule 2).
    /// The order machine declares a transition for each such pair.
    /// </summary>
    public static bool CanMove(string current, string next) =>
        IsAdvance(current, next) && (next != OrderStatuses.Cancelled || Rank(current) < Rank(OrderStatuses.PartiallyShipped));

    static bool HasShipped(TrackedFulfillment fulfillment) => FulfillmentSteps.HasShipped(fulfillment.Status);

    static int Rank(string status)
    {
        for (var i = 0; i < OrderStatuses.Progression.Count; i++)
            if (OrderStatuses.Progression[i] == status) return i;
        return -1;
    }

    static TrackedFulfillment Track(OrderState order, Guid fulfillmentId)
    {
        var fulfillment = order.Fulfillments.Find(f => f.FulfillmentId == fulfillmentId);
        if (fulfillment is null)
        {
            fulfillment = new TrackedFulfillment { FulfillmentId = fulfillmentId };
            order.Fulfillments.Add(fulfillment);
        }

        return fulfillment;
    }
}
