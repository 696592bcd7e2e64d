namespace OrderFulfillment.Contracts;

/// <summary>What a warehouse step (or a cancellation) does to a fulfillment.</summary>
public enum StepOutcome
{
    /// <summary>The fulfillment moves to the step's status.</summary>
    Applied,

    /// <summary>The fulfillment is in the step's status already: a duplicate, acknowledged without effect.</summary>
    AlreadyThere,

    /// <summary>The fulfillment is past the step's status (or was cancelled after reaching it): stale, acknowledged without effect.</summary>
    Passed,

    /// <summary>The fulfillment's status forbids it: a step after cancelled that it had not reached, or a cancellation after shipped.</summary>
    Rejected,
}

/// <summary>
/// The contract's rules for warehouse steps, in one place: the fulfillment saga is built from them, and a client (the
/// replay forecast of ofctl and the console) reads them without MassTransit.
/// </summary>
public static class FulfillmentSteps
{
    /// <summary>
    /// What a step that moves a fulfillment to <paramref name="target"/> does to one in <paramref name="status"/>: ahead
    /// is applied (also when it skips steps), reached or past is acknowledged without effect; after cancelled, a step the
    /// fulfillment had reached before (<paramref name="cancelledFrom"/>) is stale and a later one is rejected; a
    /// cancellation is applied before shipped and rejected from shipped on.
    /// </summary>
    public static StepOutcome Outcome(string status, string target, string? cancelledFrom = null)
    {
        if (target == FulfillmentStatuses.Cancelled)
        {
            if (status == FulfillmentStatuses.Cancelled)
                return StepOutcome.AlreadyThere;
            return HasShipped(status) ? StepOutcome.Rejected : StepOutcome.Applied;
        }

        var rank = FulfillmentStatuses.Rank(target);
        if (status == FulfillmentStatuses.Cancelled)
            return rank <= FulfillmentStatuses.Rank(cancelledFrom ?? FulfillmentStatuses.Pending) ? StepOutcome.Passed : StepOutcome.Rejected;

        var current = FulfillmentStatuses.Rank(status);
        return rank > current ? StepOutcome.Applied : rank == current ? StepOutcome.AlreadyThere : StepOutcome.Passed;
    }

    /// <summary>
    /// Whether a step to <paramref name="target"/> is the next one of the lifecycle for a fulfillment in
    /// <paramref name="status"/> (a cancellation is never "next": it applies at once). A step further ahead skips steps.
    /// </summary>
    public static bool IsNext(string status, string target) =>
        target != FulfillmentStatuses.Cancelled && status != FulfillmentStatuses.Cancelled
        && FulfillmentStatuses.Rank(target) == FulfillmentStatuses.Rank(status) + 1;

    /// <summary>Whether a fulfillment in <paramref name="status"/> has left the warehouse (shipped or completed).</summary>
    public static bool HasShipped(string status) =>
        FulfillmentStatuses.Rank(status) >= FulfillmentStatuses.Rank(FulfillmentStatuses.Shipped);

    /// <summary>Whether a fulfillment in <paramref name="status"/> can still be cancelled: any status before shipped.</summary>
    public static bool IsCancellable(string status) => Outcome(status, FulfillmentStatuses.Cancelled) == StepOutcome.Applied;
}
