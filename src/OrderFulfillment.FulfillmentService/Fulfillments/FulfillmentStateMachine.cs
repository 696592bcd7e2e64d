using MassTransit;
using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// pending → planning → picking → picked → packing → packed → ready → shipped → completed, or cancelled before shipped.
/// The one owner of a fulfillment's status: every event it reacts to arrives on its own <c>fulfillment</c> queue — the
/// warehouse steps, <see cref="FulfillmentPlanned"/> and <see cref="Fulfillments.CancelledWithOrder"/> (commands the
/// consumers of order events send through the outbox), and its own timeouts — and which step applies where is
/// <see cref="FulfillmentSteps.Outcome"/>, the contract rule that clients read too. Every change publishes one
/// fulfillment.status_changed. Entering a status with a deadline (<see cref="FulfillmentDeadlineOptions"/>) schedules
/// <see cref="FulfillmentDeadlineReached"/> in the same transaction; leaving it cancels it; reaching it publishes
/// fulfillment.overdue once. Once the order's cancellation has claimed the fulfillment
/// (<see cref="FulfillmentState.OrderCancellationClaimedAt"/>), a shipment is rejected as after cancelled: the
/// cancellation was decided on the fulfillment not having shipped. Other steps go on until the cancellation arrives. A warehouse step that arrives ahead of the next one is held in the fulfillment's
/// stored state until the steps in between arrive, then all are applied in lifecycle order; when the hold window
/// (<see cref="StepHoldOptions"/>) ends first, the held steps are applied as skip-aheads. A cancellation is applied at once,
/// after the steps held before it.
/// </summary>
public sealed class FulfillmentStateMachine : MassTransitStateMachine<FulfillmentState>
{
    readonly FulfillmentDeadlineOptions _deadlines;
    readonly TimeSpan _holdWindow;
    readonly OrderFulfillmentMetrics _metrics;

    public FulfillmentStateMachine(IOptions<FulfillmentDeadlineOptions> deadlines, IOptions<StepHoldOptions> hold, OrderFulfillmentMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(deadlines);
        ArgumentNullException.ThrowIfNull(hold);
        _deadlines = deadlines.Value;
        _holdWindow = hold.Value.Window;
        _metrics = metrics;
        InstanceState(x => x.CurrentState);
        Schedule(() => HoldExpired, x => x.HoldTokenId, s =>
        {
            s.Delay = _holdWindow;
            s.Received = e =>
            {
                e.CorrelateById(c => c.Message.FulfillmentId);
                e.OnMissingInstance(m => m.Discard());
            };
        });
        Schedule(() => DeadlineReached, x => x.DeadlineTokenId, s => s.Received = e =>
        {
            e.CorrelateById(c => c.Message.FulfillmentId);
            e.OnMissingInstance(m => m.Discard());
        });

        Event(() => Planned, e => e.CorrelateById(c => c.Message.FulfillmentId));
        Event(() => CancelledWithOrder, e => e.CorrelateById(c => c.Message.FulfillmentId));
        Initially(
            FollowDeadline(When(Planned)
                .Then(c => Open(c.Saga, c.Message))
                .ThenAsync(c => AnnounceAsync(c, FulfillmentStatuses.Pending, c.Message.PlannedAt))
                .ThenAsync(c => AnnounceAsync(c, FulfillmentStatuses.Planning, c.Message.PlannedAt))
                .TransitionTo(Planning)));
        DuringAny(Ignore(Planned));
        DuringAny(When(DeadlineReached.Received).ThenAsync(PublishOverdueAsync));
        DuringAny(FollowDeadline(When(HoldExpired.Received).ThenAsync(c => ReleaseHeldAsync(c, StepRelease.Window))));

        // One event per warehouse step of the contract's list, each taken as its rule says (FulfillmentSteps.Outcome).
        WarehouseSteps.Accept(new WarehouseStepEvents(this));
        Cancellation(CancelledWithOrder, m => m.RequestedAt, m => m.Reason);
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
    public Schedule<FulfillmentState, FulfillmentDeadlineReached> DeadlineReached { get; } = null!;
    public Schedule<FulfillmentState, FulfillmentHoldExpired> HoldExpired { get; } = null!;

    /// <summary>The statuses in the contract's order (cancelled apart).</summary>
    State[] Progression => [Pending, Planning, Picking, Picked, Packing, Packed, Ready, Shipped, Completed];

    static string StatusOf(State state) => FulfillmentStatusMap.Table.StatusOf(state.Name);

    /// <summary>
    /// A warehouse step that moves the fulfillment to <paramref name="target"/>. Where <see cref="FulfillmentSteps.Outcome"/>
    /// says it applies, it is applied when it is the next step (or holding is off), and held otherwise (<see cref="Holds"/>); the hold
    /// window's end is scheduled with the first step held and cancelled when the last held step is applied.
    /// </summary>
    void Step<T>(Event<T> step, string status, Func<T, HeldStep> arrived)
        where T : class
    {
        var target = GetState(FulfillmentStatusMap.Table.StateOf(status));
        During(StatesWhere(status, StepOutcome.Applied),
            FollowDeadline(When(step)
                .If(c => c.Saga.OrderCancellationClaimedAt is not null && FulfillmentSteps.HasShipped(status),
                    claimed => claimed.Then(c => throw new StepRejectedException(c.Saga.CorrelationId, step.Name, "claimed by the order's cancellation")))
                .IfElse(c => Holds(c.Saga, status),
                    hold => hold
                        .Then(c => Hold(c.Saga, arrived(c.Message)))
                        .If(c => c.Saga.HoldTokenId is null, schedule => schedule.Schedule(HoldExpired, c => new FulfillmentHoldExpired(c.Saga.CorrelationId))),
                    apply => apply
                        .Then(c => RecordShipment(c.Saga, arrived(c.Message)))
                        .ThenAsync(c => AnnounceAsync(c, status, arrived(c.Message).OccurredAt))
                        .TransitionTo(target)
                        .ThenAsync(c => ReleaseHeldAsync(c, StepRelease.GapClosed))
                        .If(c => c.Saga.HeldSteps.Count == 0 && c.Saga.HoldTokenId is not null, released => released.Unschedule(HoldExpired)))));
        Settle(step, status);
    }

    /// <summary>
    /// A cancellation, applied at once wherever the rule allows it: the steps held before it are applied first (they
    /// arrived first), then it is checked against the status they led to, so a held shipment still forbids it.
    /// </summary>
    void Cancellation<T>(Event<T> cancel, Func<T, DateTimeOffset> occurredAt, Func<T, string?> reason)
        where T : class
    {
        During(StatesWhere(FulfillmentStatuses.Cancelled, StepOutcome.Applied),
            FollowDeadline(When(cancel)
                .ThenAsync(c => ReleaseHeldAsync(c, StepRelease.Cancellation))
                .Then(c =>
                {
                    if (FulfillmentSteps.Outcome(c.Saga.Status, FulfillmentStatuses.Cancelled) == StepOutcome.Rejected)
                        throw new StepRejectedException(c.Saga.CorrelationId, cancel.Name, c.Saga.Status);
                    CancelFrom(c.Saga, reason(c.Message));
                })
                .ThenAsync(c => AnnounceAsync(c, FulfillmentStatuses.Cancelled, occurredAt(c.Message), reason(c.Message)))
                .TransitionTo(Cancelled)
                .If(c => c.Saga.HoldTokenId is not null, released => released.Unschedule(HoldExpired))));
        Settle(cancel, FulfillmentStatuses.Cancelled);
    }

    /// <summary>
    /// Where the step to <paramref name="status"/> does not apply: acknowledged without effect (a duplicate or stale
    /// step), or rejected; after cancelled it depends on the status the fulfillment was cancelled from.
    /// </summary>
    void Settle<T>(Event<T> step, string status)
        where T : class
    {
        if (StatesWhere(status, StepOutcome.AlreadyThere, StepOutcome.Passed) is { Length: > 0 } settled)
            During(settled, Ignore(step));
        if (StatesWhere(status, StepOutcome.Rejected) is { Length: > 0 } forbidding)
            During(forbidding, When(step).Then(c => throw new StepRejectedException(c.Saga.CorrelationId, step.Name, c.Saga.Status)));
        During(Cancelled,
            When(step).Then(c =>
            {
                if (FulfillmentSteps.Outcome(FulfillmentStatuses.Cancelled, status, c.Saga.CancelledFrom) == StepOutcome.Rejected)
                    throw new StepRejectedException(c.Saga.CorrelationId, step.Name, FulfillmentStatuses.Cancelled);
            }));
    }

    /// <summary>The states of the lifecycle (cancelled apart) in which a step to <paramref name="status"/> has one of <paramref name="outcomes"/>.</summary>
    State[] StatesWhere(string status, params StepOutcome[] outcomes) =>
        [.. Progression.Where(state => outcomes.Contains(FulfillmentSteps.Outcome(StatusOf(state), status)))];

    static HeldStep Arrived(string status, DateTimeOffset occurredAt) => new(status, occurredAt, DateTimeOffset.UtcNow);

    /// <summary>Whether a step to <paramref name="status"/> waits for the steps before it: it is not the next one, and holding is on.</summary>
    bool Holds(FulfillmentState fulfillment, string status) =>
        _holdWindow > TimeSpan.Zero && !FulfillmentSteps.IsNext(fulfillment.Status, status);

    /// <summary>Keeps a step that arrived ahead of its turn, in lifecycle order; the same step held again is a duplicate.</summary>
    void Hold(FulfillmentState fulfillment, HeldStep step)
    {
        if (fulfillment.HeldSteps.Exists(held => held.Status == step.Status))
            return;
        fulfillment.HeldSteps = [.. fulfillment.HeldSteps.Append(step).OrderBy(held => FulfillmentStatuses.Rank(held.Status))];
        fulfillment.UpdatedAt = DateTimeOffset.UtcNow;
        _metrics.StepHeld(step.Status);
    }

    /// <summary>
    /// Applies held steps in lifecycle order: only those that are next in turn when a gap closed, all of them (skipping
    /// ahead where steps are missing) when the hold window ended or a cancellation came.
    /// </summary>
    async Task ReleaseHeldAsync(BehaviorContext<FulfillmentState> context, StepRelease release)
    {
        var fulfillment = context.Saga;
        while (fulfillment.HeldSteps.Count > 0
               && (release != StepRelease.GapClosed || FulfillmentSteps.IsNext(fulfillment.Status, fulfillment.HeldSteps[0].Status)))
        {
            var step = fulfillment.HeldSteps[0];
            fulfillment.HeldSteps = fulfillment.HeldSteps[1..];
            _metrics.StepReleased(step.Status, release switch
            {
                StepRelease.GapClosed => "gap_closed",
                StepRelease.Window => "window",
                _ => "cancellation",
            }, DateTimeOffset.UtcNow - step.HeldAt);
            if (FulfillmentSteps.Outcome(fulfillment.Status, step.Status) == StepOutcome.Applied)
                await ApplyStepAsync(context, step);
        }
    }

    /// <summary>Moves the fulfillment to a held step's status: announced, entered, its deadline followed.</summary>
    async Task ApplyStepAsync(BehaviorContext<FulfillmentState> context, HeldStep step)
    {
        RecordShipment(context.Saga, step);
        await AnnounceAsync(context, step.Status, step.OccurredAt);
        await context.TransitionToState(GetState(FulfillmentStatusMap.Table.StateOf(step.Status)));
    }

    static void RecordShipment(FulfillmentState fulfillment, HeldStep step)
    {
        if (step.Status == FulfillmentStatuses.Shipped)
            (fulfillment.Carrier, fulfillment.TrackingNumber) = (step.Carrier, step.TrackingNumber);
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
    Task AnnounceAsync(BehaviorContext<FulfillmentState> context, string status, DateTimeOffset changedAt, string? reason = null)
    {
        var fulfillment = context.Saga;
        var previous = fulfillment.History.Count == 0 ? null : fulfillment.History[^1].Status;
        fulfillment.Sequence++;
        fulfillment.UpdatedAt = DateTimeOffset.UtcNow;
        fulfillment.History.Add(new FulfillmentHistoryEntry(fulfillment.Sequence, previous, status, changedAt, reason));
        // A new status: not overdue in it yet, and the previous status's deadline is void (FollowDeadline sets the new one).
        fulfillment.StatusSince = changedAt;
        fulfillment.OverdueAt = null;
        fulfillment.DeadlineAt = null;
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
    /// Ends every binding that may change the status: when it did (the announcement voids <see cref="FulfillmentState.DeadlineAt"/>),
    /// the previous status's deadline is unscheduled and the new status's, where it has one, scheduled to this queue —
    /// both through the endpoint's scheduler, the transactional outbox, so they are written in the transaction of the change.
    /// </summary>
    EventActivityBinder<FulfillmentState, T> FollowDeadline<T>(EventActivityBinder<FulfillmentState, T> binder)
        where T : class =>
        binder
            .If(c => c.Saga.DeadlineAt is null && c.Saga.DeadlineTokenId is not null, left => left.Unschedule(DeadlineReached))
            .If(c => c.Saga.DeadlineAt is null && DeadlineOf(c.Saga) is not null, entered => entered
                .Then(c => c.Saga.DeadlineAt = DeadlineOf(c.Saga))
                .Schedule(DeadlineReached,
                    c => new FulfillmentDeadlineReached(c.Saga.CorrelationId, c.Saga.Status, c.Saga.StatusSince!.Value, c.Saga.DeadlineAt!.Value),
                    c => c.Saga.DeadlineAt!.Value - DateTimeOffset.UtcNow));

    /// <summary>When the fulfillment becomes overdue in its current status, or null where the status has no deadline.</summary>
    DateTimeOffset? DeadlineOf(FulfillmentState fulfillment) =>
        _deadlines.For(fulfillment.Status) is { } span && fulfillment.StatusSince is { } since ? since + span : null;

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

    /// <summary>
    /// Declares a warehouse step's event, named after its message (an unknown fulfillment id is rejected), and binds it: a
    /// cancellation at once, any other step as a step to its status (held when ahead of its turn).
    /// </summary>
    sealed class WarehouseStepEvents(FulfillmentStateMachine machine) : IWarehouseStepVisitor
    {
        public void Visit<T>(WarehouseStep step, Func<T, Guid> fulfillmentId)
            where T : class
        {
            var arrived = machine.Event<T>(typeof(T).Name, e =>
            {
                e.CorrelateById(c => fulfillmentId(c.Message));
                e.OnMissingInstance(m => m.Execute(c => throw new UnknownFulfillmentException(fulfillmentId(c.Message))));
            });
            if (step.Status == FulfillmentStatuses.Cancelled)
                machine.Cancellation(arrived, m => step.OccurredAtOf(m), m => (m as WarehouseCancelled)?.Reason);
            else
                machine.Step(arrived, step.Status, m => Arrived(step.Status, step.OccurredAtOf(m)) with
                {
                    Carrier = (m as WarehouseShipped)?.Carrier,
                    TrackingNumber = (m as WarehouseShipped)?.TrackingNumber,
                });
        }
    }
}
