using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>The bookkeeping of one status change, shared by the state machine and the order cancellation.</summary>
public static class FulfillmentLifecycle
{
    /// <summary>Records the change from the current status to <paramref name="status"/> and returns the event that announces it.</summary>
    public static FulfillmentStatusChanged Change(FulfillmentState fulfillment, string? previousStatus, string status, DateTimeOffset changedAt,
        string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(fulfillment);
        fulfillment.Sequence++;
        fulfillment.UpdatedAt = DateTimeOffset.UtcNow;
        fulfillment.History.Add(new FulfillmentHistoryEntry(fulfillment.Sequence, previousStatus, status, changedAt, reason));
        // A new status: the previous one's deadline no longer applies (the saga schedules the new one's).
        fulfillment.StatusSince = changedAt;
        fulfillment.DeadlineAt = null;
        fulfillment.OverdueAt = null;
        OrderFulfillmentMetrics.Transition("fulfillment", status);
        var carries = FulfillmentStatuses.Rank(status) >= FulfillmentStatuses.Rank(FulfillmentStatuses.Shipped);
        return new FulfillmentStatusChanged
        {
            FulfillmentId = fulfillment.CorrelationId,
            OrderId = fulfillment.OrderId,
            WarehouseId = fulfillment.WarehouseId,
            PreviousStatus = previousStatus,
            Status = status,
            ChangedAt = changedAt,
            Sequence = fulfillment.Sequence,
            Lines = fulfillment.Lines,
            Carrier = carries ? fulfillment.Carrier : null,
            TrackingNumber = carries ? fulfillment.TrackingNumber : null,
            FulfillmentCount = fulfillment.FulfillmentCount,
            Reason = reason,
        };
    }

    /// <summary>Whether the fulfillment may still be cancelled: any status before shipped.</summary>
    public static bool IsCancellable(string status) =>
        status != FulfillmentStatuses.Cancelled && FulfillmentStatuses.Rank(status) < FulfillmentStatuses.Rank(FulfillmentStatuses.Shipped);

    /// <summary>
    /// Cancels the fulfillment (its state becomes Cancelled) and returns the event. The caller cancels the scheduled
    /// deadline it returns in <paramref name="deadlineTokenId"/>; a deadline message that still arrives is ignored, since
    /// the fulfillment no longer holds its token.
    /// </summary>
    public static FulfillmentStatusChanged Cancel(FulfillmentState fulfillment, string? reason, DateTimeOffset cancelledAt, out Guid? deadlineTokenId)
    {
        ArgumentNullException.ThrowIfNull(fulfillment);
        deadlineTokenId = fulfillment.DeadlineTokenId;
        fulfillment.DeadlineTokenId = null;
        var previous = fulfillment.Status;
        fulfillment.CancelledFrom = previous;
        fulfillment.CancellationReason = reason;
        fulfillment.CurrentState = nameof(FulfillmentStateMachine.Cancelled);
        return Change(fulfillment, previous, FulfillmentStatuses.Cancelled, cancelledAt, reason);
    }
}
