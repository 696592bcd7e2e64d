using MassTransit;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>The deadline bookkeeping after a fulfillment entered a status.</summary>
static class FulfillmentDeadlineActivities
{
    /// <summary>
    /// Schedules the new status's deadline (replacing, and cancelling, the previous status's), or cancels the previous one
    /// where the new status has none. Scheduling and cancelling are written in the transaction of the change.
    /// </summary>
    public static EventActivityBinder<FulfillmentState, T> WatchDeadline<T>(this EventActivityBinder<FulfillmentState, T> binder,
        FulfillmentStateMachine machine)
        where T : class =>
        binder
            .Then(c => c.Saga.DeadlineAt = machine.DeadlineOf(c.Saga))
            .IfElse(c => c.Saga.DeadlineAt.HasValue,
                due => due.Schedule(machine.DeadlineReached,
                    c => new FulfillmentDeadlineReached(c.Saga.CorrelationId, c.Saga.Status, c.Saga.StatusSince!.Value, c.Saga.DeadlineAt!.Value),
                    c => c.Saga.DeadlineAt!.Value.UtcDateTime),
                none => none.Unschedule(machine.DeadlineReached));
}
