using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>One fulfillment: the lines of one order that one warehouse ships.</summary>
public sealed class FulfillmentState : IVersionedSaga
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = null!;
    public uint Version { get; set; }

    public string OrderId { get; set; } = null!;
    public string WarehouseId { get; set; } = null!;
    public List<FulfillmentLine> Lines { get; set; } = [];

    /// <summary>How many fulfillments the order was split into.</summary>
    public int FulfillmentCount { get; set; }

    /// <summary>The sequence number of the last fulfillment.status_changed; rises by one with every change.</summary>
    public int Sequence { get; set; }

    /// <summary>The status the fulfillment had when it was cancelled: warehouse steps up to it are stale, later ones are rejected.</summary>
    public string? CancelledFrom { get; set; }

    public string? CancellationReason { get; set; }
    public string? Carrier { get; set; }
    public string? TrackingNumber { get; set; }
    public List<FulfillmentHistoryEntry> History { get; set; } = [];

    /// <summary>When the fulfillment entered its current status (the change's changedAt).</summary>
    public DateTimeOffset? StatusSince { get; set; }

    /// <summary>When the current status becomes overdue, where it has a deadline.</summary>
    public DateTimeOffset? DeadlineAt { get; set; }

    /// <summary>The scheduled <see cref="FulfillmentDeadlineReached"/> of the current status, while it is pending.</summary>
    public Guid? DeadlineTokenId { get; set; }

    /// <summary>When fulfillment.overdue was published for the current status; cleared by the next change.</summary>
    public DateTimeOffset? OverdueAt { get; set; }

    /// <summary>
    /// Warehouse steps that arrived ahead of the next one, in lifecycle order, kept until the steps in between arrive
    /// or the hold window ends (<see cref="StepHoldOptions"/>). Empty once the fulfillment is cancelled or completed.
    /// </summary>
    public List<HeldStep> HeldSteps { get; set; } = [];

    /// <summary>The scheduled <see cref="FulfillmentHoldExpired"/> of the held steps, while any is held.</summary>
    public Guid? HoldTokenId { get; set; }

    /// <summary>
    /// Set when the order's cancellation has decided to cancel this fulfillment and sent it <see cref="CancelledWithOrder"/>:
    /// from then on a shipment is rejected, as it would be after cancelled (other steps go on until the cancellation arrives).
    /// </summary>
    public DateTimeOffset? OrderCancellationClaimedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The contract's status of the current state (<see cref="FulfillmentStatusMap"/>).</summary>
    public string Status => FulfillmentStatusMap.Table.StatusOf(CurrentState);
}

/// <summary>A warehouse step received ahead of its turn: the status it moves to and what it carried.</summary>
public sealed record HeldStep(string Status, DateTimeOffset OccurredAt, DateTimeOffset HeldAt, string? Carrier = null, string? TrackingNumber = null);

/// <summary>One status change, as it was announced.</summary>
public sealed record FulfillmentHistoryEntry(int Sequence, string? PreviousStatus, string Status, DateTimeOffset ChangedAt, string? Reason);
