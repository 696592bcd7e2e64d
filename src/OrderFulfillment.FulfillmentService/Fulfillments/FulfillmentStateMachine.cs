using MassTransit;
using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// pending → planning → picking → picked → packing → packed → ready → shipped → completed, or cancelled before shipped.
/// A warehouse step ahead of the current status is applied, also when it skips steps; a step the fulfillment has
/// already reached is stale and acknowledged without effect; after cancelled, a step the fulfillment had not reached
/// when it was cancelled is rejected, as is a cancellation after shipped. Every change publishes one fulfillment.status_changed.
/// Entering a status with a deadline (<see cref="FulfillmentDeadlineOptions"/>) schedules <see cref="FulfillmentDeadlineReached"/>
/// in the same transaction; leaving it first cancels it; reaching it publishes fulfillment.overdue once.
/// </summary>
public sealed class FulfillmentStateMachine : MassTransitStateMachine<FulfillmentState>
{
    readonly FulfillmentDeadlineOptions _deadlines;

    public FulfillmentStateMachine(IOptions<FulfillmentDeadlineOptions> deadlines)
    {
        ArgumentNullException.ThrowIfNull(deadlines);
        _deadlines = deadlines.Value;
        InstanceState(x => x.CurrentState);
        Schedule(() => DeadlineReached, x => x.DeadlineTokenId, s => s.Received = e =>
        {
            e.CorrelateById(c => c.Message.FulfillmentId);
            e.OnMissingInstance(m => m.Discard());
        });

        Event(() => FulfillmentRequested, e => e.CorrelateById(c => c.Message.FulfillmentId));
        WarehouseStep(() => WarehousePickingStarted, m => m.FulfillmentId);
        WarehouseStep(() => WarehousePicked, m => m.FulfillmentId);
        WarehouseStep(() => WarehousePackingStarted, m => m.FulfillmentId);
        WarehouseStep(() => WarehousePacked, m => m.FulfillmentId);
        WarehouseStep(() => WarehouseReadyToShip, m => m.FulfillmentId);
        WarehouseStep(() => WarehouseShipped, m => m.FulfillmentId);
        WarehouseStep(() => WarehouseCompleted, m => m.FulfillmentId);
        WarehouseStep(() => WarehouseCancelled, m => m.FulfillmentId);

        Initially(
            When(FulfillmentRequested)
                .Then(c => Open(c.Saga, c.Message))
                .ThenAsync(c => c.Publish(FulfillmentLifecycle.Change(c.Saga, null, FulfillmentStatuses.Pending, c.Message.RequestedAt)))
                .ThenAsync(c => c.Publish(
                    FulfillmentLifecycle.Change(c.Saga, FulfillmentStatuses.Pending, FulfillmentStatuses.Planning, c.Message.RequestedAt)))
                .TransitionTo(Planning)
                .WatchDeadline(this));
        DuringAny(Ignore(FulfillmentRequested));
        DuringAny(When(DeadlineReached.Received).ThenAsync(PublishOverdueAsync));

        Advance(WarehousePickingStarted, Picking, m => m.OccurredAt);
        Advance(WarehousePicked, Picked, m => m.OccurredAt);
        Advance(WarehousePackingStarted, Packing, m => m.OccurredAt);
        Advance(WarehousePacked, Packed, m => m.OccurredAt);
        Advance(WarehouseReadyToShip, Ready, m => m.OccurredAt);
        Advance(WarehouseShipped, Shipped, m => m.OccurredAt, (f, m) => (f.Carrier, f.TrackingNumber) = (m.Carrier, m.TrackingNumber));
        Advance(WarehouseCompleted, Completed, m => m.OccurredAt);

        During(Progression.TakeWhile(s => s != Shipped),
            When(WarehouseCancelled)
                .Unschedule(DeadlineReached)
                .ThenAsync(c => c.Publish(FulfillmentLifecycle.Cancel(c.Saga, c.Message.Reason, c.Message.OccurredAt, out _)))
                .TransitionTo(Cancelled));
        During(Shipped, Completed,
            When(WarehouseCancelled).Then(c => throw new StepRejectedException(c.Saga.CorrelationId, WarehouseCancelled.Name, c.Saga.Status)));
        During(Cancelled, Ignore(WarehouseCancelled));
    }

    public State Pending { get; } = null!;
    public State Planning { get; } = null!;
    public State Picking { get; } = null!;
    public State Picked { get; } = null!;
    public State Packing { get; } = null!;
    public State Packed { get; } = null!;
    public State Ready { get; } = null!;
    public State Shipped { get; } = null!;
    public State Completed { get; } = null!;
    public State Cancelled { get; } = null!;

    public Event<FulfillmentRequested> FulfillmentRequested { get; } = null!;
    public Event<WarehousePickingStarted> WarehousePickingStarted { get; } = null!;
    public Event<WarehousePicked> WarehousePicked { get; } = null!;
    public Event<WarehousePackingStarted> WarehousePackingStarted { get; } = null!;
    public Event<WarehousePacked> WarehousePacked { get; } = null!;
    public Event<WarehouseReadyToShip> WarehouseReadyToShip { get; } = null!;
    public Event<WarehouseShipped> WarehouseShipped { get; } = null!;
    public Event<WarehouseCompleted> WarehouseCompleted { get; } = null!;
    public Event<WarehouseCancelled> WarehouseCancelled { get; } = null!;
    public Schedule<FulfillmentState, FulfillmentDeadlineReached> DeadlineReached { get; } = null!;

    /// <summary>When the fulfillment's current status becomes overdue, or null where the status has no deadline.</summary>
    internal DateTimeOffset? DeadlineOf(FulfillmentState fulfillment) =>
        _deadlines.For(fulfillment.Status) is { } span && fulfillment.StatusSince is { } since ? since + span : null;

    static async Task PublishOverdueAsync(BehaviorContext<FulfillmentState, FulfillmentDeadlineReached> context)
    {
        var fulfillment = context.Saga;
        // The token matched, so this is the current status's deadline; the status check only guards against a stale message.
        if (context.Message.Status != fulfillment.Status || fulfillment.OverdueAt.HasValue)
            return;
        fulfillment.OverdueAt = DateTimeOffset.UtcNow;
        fulfillment.UpdatedAt = fulfillment.OverdueAt.Value;
        OrderFulfillmentMetrics.Overdue(fulfillment.Status);
        await context.Publish(new FulfillmentOverdue
        {
            FulfillmentId = fulfillment.CorrelationId,
            OrderId = fulfillment.OrderId,
            WarehouseId = fulfillment.WarehouseId,
            Status = fulfillment.Status,
            Since = context.Message.Since,
            Deadline = context.Message.Deadline,
        });
    }

    /// <summary>The statuses in the contract's order (cancelled apart).</summary>
    State[] Progression => [Pending, Planning, Picking, Picked, Packing, Packed, Ready, Shipped, Completed];

    static void Open(FulfillmentState fulfillment, FulfillmentRequested request)
    {
        fulfillment.OrderId = request.OrderId;
        fulfillment.WarehouseId = request.WarehouseId;
        fulfillment.Lines = [.. request.Lines];
        fulfillment.FulfillmentCount = request.FulfillmentCount;
        fulfillment.CreatedAt = DateTimeOffset.UtcNow;
    }

    void WarehouseStep<T>(System.Linq.Expressions.Expression<Func<Event<T>>> step, Func<T, Guid> fulfillmentId)
        where T : class =>
        Event(step, e =>
        {
            e.CorrelateById(c => fulfillmentId(c.Message));
            e.OnMissingInstance(m => m.Execute(c => throw new UnknownFulfillmentException(fulfillmentId(c.Message))));
        });

    /// <summary>A warehouse step that moves the fulfillment to <paramref name="target"/>.</summary>
    void Advance<T>(Event<T> step, State target, Func<T, DateTimeOffset> occurredAt, Action<FulfillmentState, T>? record = null)
        where T : class
    {
        var rank = Array.IndexOf(Progression, target);
        During(Progression.Take(rank),
            When(step)
                .Then(c => record?.Invoke(c.Saga, c.Message))
                .ThenAsync(c => c.Publish(
                    FulfillmentLifecycle.Change(c.Saga, c.Saga.Status, target.Name.ToLowerInvariant(), occurredAt(c.Message))))
                .TransitionTo(target)
                .WatchDeadline(this));
        During(Progression.Skip(rank), Ignore(step));
        During(Cancelled,
            When(step).Then(c =>
            {
                // Stale if the fulfillment had reached this step before it was cancelled; otherwise it comes too late.
                if (rank > FulfillmentStatuses.Rank(c.Saga.CancelledFrom ?? FulfillmentStatuses.Pending))
                    throw new StepRejectedException(c.Saga.CorrelationId, step.Name, FulfillmentStatuses.Cancelled);
            }));
    }
}
