using MassTransit;
using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>
/// The customer-facing status of an order, one state per order status of the contract (as the fulfillment saga has one
/// per fulfillment status). It starts on order.confirmed, follows the order's fulfillments through
/// fulfillment.status_changed and delivery.confirmed, and moves to the status they call for whenever that is a step
/// forward (<see cref="OrderStatusRules"/>), publishing order.status_changed: each such step is a declared transition.
/// Every message received is recorded on the order's timeline, with what it did.
/// </summary>
public sealed class OrderStateMachine : MassTransitStateMachine<OrderState>
{
    readonly OrderFulfillmentMetrics _metrics;

    public OrderStateMachine(OrderFulfillmentMetrics metrics)
    {
        _metrics = metrics;
        InstanceState(x => x.CurrentState);

        Event(() => OrderConfirmed, e => e.CorrelateById(c => DeterministicId.ForOrder(c.Message.OrderId)));
        OrderEvent(() => FulfillmentStatusChanged, m => m.OrderId);
        OrderEvent(() => DeliveryConfirmed, m => m.OrderId);
        OrderEvent(() => OrderCancellationRequested, m => m.OrderId);
        OrderEvent(() => OrderCancellationRefused, m => m.OrderId);
        OrderEvent(() => FulfillmentOverdue, m => m.OrderId);

        Initially(
            When(OrderConfirmed)
                .TransitionTo(Confirmed)
                .ThenAsync(StartAsync));

        // Recorded on the timeline in every state; they never change the status themselves.
        DuringAny(
            When(OrderConfirmed)
                .Then(c => RecordOnTimeline(c.Saga, Contracts.OrderConfirmed.Exchange, TimelineOutcomes.Duplicate, detail: "the order was confirmed before")),
            When(OrderCancellationRequested)
                .Then(c => RecordOnTimeline(c.Saga, Contracts.OrderCancellationRequested.Exchange, TimelineOutcomes.Recorded, detail: c.Message.Reason)),
            When(OrderCancellationRefused)
                .Then(c => RecordOnTimeline(c.Saga, Contracts.OrderCancellationRefused.Exchange, TimelineOutcomes.Refused, detail: c.Message.Reason)),
            When(FulfillmentOverdue)
                .Then(c => RecordOnTimeline(c.Saga, Contracts.FulfillmentOverdue.Exchange, OrderStatusRules.RecordOverdue(c.Saga, c.Message),
                    c.Message.FulfillmentId,
                    $"{c.Message.Status} since {ContractTimestamps.Write(c.Message.Since)}, deadline {ContractTimestamps.Write(c.Message.Deadline)}")));

        // What a fulfillment reports is recorded (OrderStatusRules), then the order moves to the status its fulfillments
        // call for, where that is a step forward from this state: one transition per pair OrderStatusRules.CanMove allows.
        // A delivery for none of the order's fulfillments is rejected first, by the last activity of its branch: MassTransit
        // wraps what an activity throws in an EventExecutionException when activities follow it, and the error queue and
        // the retry policy would then see that type instead of FulfillmentNotInOrderException.
        foreach (var from in Progression)
        {
            During(from,
                Advance(from, When(FulfillmentStatusChanged).Then(RecordFulfillment), Contracts.FulfillmentStatusChanged.Exchange, m => m.ChangedAt),
                When(DeliveryConfirmed).IfElse(c => OrderStatusRules.IsForAnotherFulfillment(c.Saga, c.Message),
                    another => another.Then(c => throw new FulfillmentNotInOrderException(c.Saga.OrderId, c.Message.FulfillmentId)),
                    known => Advance(from, known.Then(RecordDelivery), Contracts.DeliveryConfirmed.Exchange, m => m.DeliveredAt)));
        }

        During(Cancelled, When(FulfillmentStatusChanged).Then(RecordFulfillment), When(DeliveryConfirmed).Then(RecordDelivery));
    }

    public State Confirmed { get; } = null!;
    public State Processing { get; } = null!;
    public State PartiallyShipped { get; } = null!;
    public State Shipped { get; } = null!;
    public State PartiallyDelivered { get; } = null!;
    public State Delivered { get; } = null!;
    public State Cancelled { get; } = null!;

    public Event<OrderConfirmed> OrderConfirmed { get; } = null!;
    public Event<FulfillmentStatusChanged> FulfillmentStatusChanged { get; } = null!;
    public Event<DeliveryConfirmed> DeliveryConfirmed { get; } = null!;
    public Event<OrderCancellationRequested> OrderCancellationRequested { get; } = null!;
    public Event<OrderCancellationRefused> OrderCancellationRefused { get; } = null!;
    public Event<FulfillmentOverdue> FulfillmentOverdue { get; } = null!;

    Task StartAsync(BehaviorContext<OrderState, OrderConfirmed> context)
    {
        var order = context.Saga;
        order.OrderId = context.Message.OrderId;
        order.ConfirmedAt = context.Message.ConfirmedAt;
        order.Lines = [.. context.Message.Lines];
        RecordOnTimeline(order, Contracts.OrderConfirmed.Exchange, TimelineOutcomes.StatusChanged, status: OrderStatuses.Confirmed);
        _metrics.Transition("order", OrderStatuses.Confirmed);
        return context.Publish(new OrderStatusChanged
        {
            OrderId = order.OrderId,
            PreviousStatus = null,
            Status = OrderStatuses.Confirmed,
            ChangedAt = DateTimeOffset.UtcNow,
            Lines = order.Lines,
            Cause = Contracts.OrderConfirmed.Exchange,
        });
    }

    /// <summary>The states in the order of their statuses (cancelled, terminal, apart).</summary>
    State[] Progression => [Confirmed, Processing, PartiallyShipped, Shipped, PartiallyDelivered, Delivered];

    static string StatusOf(State state) => OrderStatusMap.Table.StatusOf(state.Name);

    /// <summary>
    /// From <paramref name="from"/>, a transition to each state whose status <see cref="OrderStatusRules.CanMove"/> allows,
    /// taken when it is the one <see cref="OrderStatusRules.Derive"/> gives; it publishes order.status_changed.
    /// </summary>
    EventActivityBinder<OrderState, T> Advance<T>(State from, EventActivityBinder<OrderState, T> binder, string cause, Func<T, DateTimeOffset> at)
        where T : class
    {
        var previous = StatusOf(from);
        foreach (var to in States.Where(state => state != Initial && state != Final && OrderStatusRules.CanMove(previous, StatusOf(state))))
        {
            var status = StatusOf(to);
            binder = binder.If(c => OrderStatusRules.Derive(c.Saga) == status, advance => advance
                .TransitionTo(to)
                .ThenAsync(c => AnnounceAsync(c, previous, status, cause, at(c.Message))));
        }

        return binder;
    }

    Task AnnounceAsync<T>(BehaviorContext<OrderState, T> context, string previous, string status, string cause, DateTimeOffset at)
        where T : class
    {
        var order = context.Saga;
        RecordOnTimeline(order, cause, TimelineOutcomes.StatusChanged, previous: previous, status: status);
        _metrics.Transition("order", status);
        return context.Publish(new OrderStatusChanged
        {
            OrderId = order.OrderId,
            PreviousStatus = previous,
            Status = status,
            ChangedAt = at,
            Cause = cause,
        });
    }

    static void RecordFulfillment(BehaviorContext<OrderState, FulfillmentStatusChanged> context)
    {
        var change = context.Message;
        var outcome = OrderStatusRules.RecordFulfillment(context.Saga, change);
        RecordOnTimeline(context.Saga, Contracts.FulfillmentStatusChanged.Exchange, outcome, change.FulfillmentId,
            $"{change.PreviousStatus ?? "-"} → {change.Status} (sequence {change.Sequence})");
    }

    static void RecordDelivery(BehaviorContext<OrderState, DeliveryConfirmed> context)
    {
        var outcome = OrderStatusRules.RecordDelivery(context.Saga, context.Message);
        RecordOnTimeline(context.Saga, Contracts.DeliveryConfirmed.Exchange, outcome, context.Message.FulfillmentId,
            outcome == TimelineOutcomes.Held ? "kept until the fulfillment has shipped" : null);
    }

    /// <summary>Adds an entry to the order's timeline: the message received, and what it did.</summary>
    static void RecordOnTimeline(OrderState order, string message, string outcome, Guid? fulfillmentId = null, string? detail = null,
        string? previous = null, string? status = null)
    {
        order.UpdatedAt = DateTimeOffset.UtcNow;
        order.Timeline.Add(new TimelineEntry(order.UpdatedAt, message, outcome, previous, status, fulfillmentId, detail));
    }

    void OrderEvent<T>(System.Linq.Expressions.Expression<Func<Event<T>>> orderEvent, Func<T, string> orderId)
        where T : class =>
        Event(orderEvent, e =>
        {
            e.CorrelateById(c => DeterministicId.ForOrder(orderId(c.Message)));
            e.OnMissingInstance(m => m.Execute(c => throw new UnknownOrderException(orderId(c.Message), "no order.confirmed was received for it")));
        });
}
