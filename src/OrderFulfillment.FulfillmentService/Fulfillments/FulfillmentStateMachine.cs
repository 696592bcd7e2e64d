using MassTransit;
using MassTransit.Context;
using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// pending → planning → picking → picked → packing → packed → ready → shipped → completed, or cancelled before shipped.
/// The one owner of a fulfillment's status: every change, whether a warehouse step on the <c>fulfillment</c> queue or an
/// order-level change raised by a consumer of order events (<see cref="RaiseAsync{T}"/>), goes through this machine, and
/// which step applies where is <see cref="FulfillmentSteps.Outcome"/>, the contract rule that clients read too. Every
/// change publishes one fulfillment.status_changed. Entering a status with a deadline (<see cref="FulfillmentDeadlineOptions"/>)
/// schedules <see cref="FulfillmentDeadlineReached"/> in the same transaction; leaving it cancels it; reaching it
/// publishes fulfillment.overdue once.
/// </summary>
public sealed class FulfillmentStateMachine : MassTransitStateMachine<FulfillmentState>
{
    readonly FulfillmentDeadlineOptions _deadlines;
    readonly OrderFulfillmentMetrics _metrics;

    public FulfillmentStateMachine(IOptions<FulfillmentDeadlineOptions> deadlines, OrderFulfillmentMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(deadlines);
        _deadlines = deadlines.Value;
        _metrics = metrics;
        InstanceState(x => x.CurrentState);
        Schedule(() => DeadlineReached, x => x.DeadlineTokenId, s => s.Received = e =>
        {
            e.CorrelateById(c => c.Message.FulfillmentId);
            e.OnMissingInstance(m => m.Discard());
        });

        Event(() => Planned, e => e.CorrelateById(c => c.Message.FulfillmentId));
        Event(() => CancelledWithOrder, e => e.CorrelateById(c => c.Message.FulfillmentId));
        WarehouseStep(() => WarehousePickingStarted, m => m.FulfillmentId);
        WarehouseStep(() => WarehousePicked, m => m.FulfillmentId);
        WarehouseStep(() => WarehousePackingStarted, m => m.FulfillmentId);
        WarehouseStep(() => WarehousePacked, m => m.FulfillmentId);
        WarehouseStep(() => WarehouseReadyToShip, m => m.FulfillmentId);
        WarehouseStep(() => WarehouseShipped, m => m.FulfillmentId);
        WarehouseStep(() => WarehouseCompleted, m => m.FulfillmentId);
        WarehouseStep(() => WarehouseCancelled, m => m.FulfillmentId);

        Initially(
            When(Planned)
                .Then(c => Open(c.Saga, c.Message))
                .ThenAsync(c => AnnounceAsync(c, FulfillmentStatuses.Pending, c.Message.PlannedAt))
                .ThenAsync(c => AnnounceAsync(c, FulfillmentStatuses.Planning, c.Message.PlannedAt))
                .TransitionTo(Planning)
                .ThenAsync(WatchDeadlineAsync));
        DuringAny(Ignore(Planned));
        DuringAny(When(DeadlineReached.Received).ThenAsync(PublishOverdueAsync));

        Step(WarehousePickingStarted, Picking, m => m.OccurredAt);
        Step(WarehousePicked, Picked, m => m.OccurredAt);
        Step(WarehousePackingStarted, Packing, m => m.OccurredAt);
        Step(WarehousePacked, Packed, m => m.OccurredAt);
        Step(WarehouseReadyToShip, Ready, m => m.OccurredAt);
        Step(WarehouseShipped, Shipped, m => m.OccurredAt, (f, m) => (f.Carrier, f.TrackingNumber) = (m.Carrier, m.TrackingNumber));
        Step(WarehouseCompleted, Completed, m => m.OccurredAt);
        Step(WarehouseCancelled, Cancelled, m => m.OccurredAt, (f, m) => CancelFrom(f, m.Reason), m => m.Reason);
        Step(CancelledWithOrder, Cancelled, m => m.RequestedAt, (f, m) => CancelFrom(f, m.Reason), m => m.Reason);
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

    public Event<FulfillmentPlanned> Planned { get; } = null!;
    public Event<CancelledWithOrder> CancelledWithOrder { get; } = null!;
    public Event<WarehousePickingStarted> WarehousePickingStarted { get; } = null!;
    public Event<WarehousePicked> WarehousePicked { get; } = null!;
    public Event<WarehousePackingStarted> WarehousePackingStarted { get; } = null!;
    public Event<WarehousePacked> WarehousePacked { get; } = null!;
    public Event<WarehouseReadyToShip> WarehouseReadyToShip { get; } = null!;
    public Event<WarehouseShipped> WarehouseShipped { get; } = null!;
    public Event<WarehouseCompleted> WarehouseCompleted { get; } = null!;
    public Event<WarehouseCancelled> WarehouseCancelled { get; } = null!;
    public Schedule<FulfillmentState, FulfillmentDeadlineReached> DeadlineReached { get; } = null!;

    /// <summary>
    /// Applies an order-level event to one fulfillment inside the calling consumer's transaction, exactly as if it had
    /// arrived on the saga's queue: this machine decides and publishes, in order with the fulfillment's other events.
    /// The caller saves the fulfillment.
    /// </summary>
    internal Task RaiseAsync<T>(ConsumeContext context, FulfillmentState fulfillment, Event<T> @event, T data)
        where T : class
    {
        context.OrderOutboxBy(fulfillment.CorrelationId);
        var consumeContext = new MessageConsumeContext<T>(context, data);
        var sagaContext = new DefaultSagaConsumeContext<FulfillmentState, T>(consumeContext, fulfillment);
        return ((StateMachine<FulfillmentState>)this).RaiseEvent(new BehaviorContextProxy<T>(this, sagaContext, consumeContext, @event));
    }

    /// <summary>The statuses in the contract's order (cancelled apart).</summary>
    State[] Progression => [Pending, Planning, Picking, Picked, Packing, Packed, Ready, Shipped, Completed];

    static string StatusOf(State state) => SagaStates.StatusOf(state.Name);

    /// <summary>
    /// A step that moves the fulfillment to <paramref name="target"/>, bound in each state as <see cref="FulfillmentSteps.Outcome"/>
    /// says: applied, acknowledged without effect, or rejected; after cancelled it depends on the status it was cancelled from.
    /// </summary>
    void Step<T>(Event<T> step, State target, Func<T, DateTimeOffset> occurredAt, Action<FulfillmentState, T>? record = null,
        Func<T, string?>? reason = null)
        where T : class
    {
        var status = StatusOf(target);
        State[] Where(Func<StepOutcome, bool> outcome) =>
            [.. Progression.Where(state => outcome(FulfillmentSteps.Outcome(StatusOf(state), status)))];

        During(Where(o => o == StepOutcome.Applied),
            When(step)
                .Then(c => record?.Invoke(c.Saga, c.Message))
                .ThenAsync(c => AnnounceAsync(c, status, occurredAt(c.Message), reason?.Invoke(c.Message)))
                .TransitionTo(target)
                .ThenAsync(WatchDeadlineAsync));
        if (Where(o => o is StepOutcome.AlreadyThere or StepOutcome.Passed) is { Length: > 0 } settled)
            During(settled, Ignore(step));
        if (Where(o => o == StepOutcome.Rejected) is { Length: > 0 } forbidding)
            During(forbidding, When(step).Then(c => throw new StepRejectedException(c.Saga.CorrelationId, step.Name, c.Saga.Status)));
        During(Cancelled,
            When(step).Then(c =>
            {
                if (FulfillmentSteps.Outcome(FulfillmentStatuses.Cancelled, status, c.Saga.CancelledFrom) == StepOutcome.Rejected)
                    throw new StepRejectedException(c.Saga.CorrelationId, step.Name, FulfillmentStatuses.Cancelled);
            }));
    }

    static void CancelFrom(FulfillmentState fulfillment, string? reason)
    {
        fulfillment.CancelledFrom = fulfillment.Status;
        fulfillment.CancellationReason = reason;
    }

    static void Open(FulfillmentState fulfillment, FulfillmentPlanned plan)
    {
        fulfillment.OrderId = plan.OrderId;
        fulfillment.WarehouseId = plan.WarehouseId;
        fulfillment.Lines = [.. plan.Lines];
        fulfillment.FulfillmentCount = plan.FulfillmentCount;
        fulfillment.CreatedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>Records the change to <paramref name="status"/> in the history and publishes fulfillment.status_changed.</summary>
    Task AnnounceAsync<T>(BehaviorContext<FulfillmentState, T> context, string status, DateTimeOffset changedAt, string? reason = null)
        where T : class
    {
        var fulfillment = context.Saga;
        var previous = fulfillment.History.Count == 0 ? null : fulfillment.History[^1].Status;
        fulfillment.Sequence++;
        fulfillment.UpdatedAt = DateTimeOffset.UtcNow;
        fulfillment.History.Add(new FulfillmentHistoryEntry(fulfillment.Sequence, previous, status, changedAt, reason));
        // A new status: not overdue in it yet. Its deadline (DeadlineAt) is set by WatchDeadlineAsync, which follows every change.
        fulfillment.StatusSince = changedAt;
        fulfillment.OverdueAt = null;
        _metrics.Transition("fulfillment", status);
        var carries = FulfillmentSteps.HasShipped(status);
        return context.Publish(new FulfillmentStatusChanged
        {
            FulfillmentId = fulfillment.CorrelationId,
            OrderId = fulfillment.OrderId,
            WarehouseId = fulfillment.WarehouseId,
            PreviousStatus = previous,
            Status = status,
            ChangedAt = changedAt,
            Sequence = fulfillment.Sequence,
            Lines = fulfillment.Lines,
            Carrier = carries ? fulfillment.Carrier : null,
            TrackingNumber = carries ? fulfillment.TrackingNumber : null,
            FulfillmentCount = fulfillment.FulfillmentCount,
            Reason = reason,
        });
    }

    /// <summary>
    /// After entering a status: cancels the previous status's deadline, and schedules the new one's where it has one,
    /// through the endpoint's scheduler (the transactional outbox: both are written in the transaction of the change).
    /// </summary>
    async Task WatchDeadlineAsync(BehaviorContext<FulfillmentState> context)
    {
        var fulfillment = context.Saga;
        var scheduler = context.GetPayload<MessageSchedulerContext>();
        // Deadlines come back to the saga's own queue, on the broker of the queue this change came from (also when it was
        // made on the order-events queue).
        var deadlineAddress = new Uri(context.ReceiveContext.InputAddress, FulfillmentServiceRegistration.FulfillmentQueue);
        if (fulfillment.DeadlineTokenId is { } previous)
        {
            await scheduler.CancelScheduledSend(deadlineAddress, previous, context.CancellationToken);
            fulfillment.DeadlineTokenId = null;
        }

        fulfillment.DeadlineAt = _deadlines.For(fulfillment.Status) is { } span && fulfillment.StatusSince is { } since ? since + span : null;
        if (fulfillment.DeadlineAt is { } due)
        {
            var timeout = new FulfillmentDeadlineReached(fulfillment.CorrelationId, fulfillment.Status, fulfillment.StatusSince!.Value, due);
            var scheduled = await scheduler.ScheduleSend(deadlineAddress, due.UtcDateTime, timeout, context.CancellationToken);
            fulfillment.DeadlineTokenId = scheduled.TokenId;
        }
    }

    async Task PublishOverdueAsync(BehaviorContext<FulfillmentState, FulfillmentDeadlineReached> context)
    {
        var fulfillment = context.Saga;
        // The token matched, so this is the current status's deadline; the status check only guards against a stale message.
        if (context.Message.Status != fulfillment.Status || fulfillment.OverdueAt.HasValue)
            return;
        fulfillment.OverdueAt = DateTimeOffset.UtcNow;
        fulfillment.UpdatedAt = fulfillment.OverdueAt.Value;
        _metrics.Overdue(fulfillment.Status);
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

    void WarehouseStep<T>(System.Linq.Expressions.Expression<Func<Event<T>>> step, Func<T, Guid> fulfillmentId)
        where T : class =>
        Event(step, e =>
        {
            e.CorrelateById(c => fulfillmentId(c.Message));
            e.OnMissingInstance(m => m.Execute(c => throw new UnknownFulfillmentException(fulfillmentId(c.Message))));
        });
}
