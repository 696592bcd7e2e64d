using MassTransit;
using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>
/// The customer-facing status of an order, one state per order status of the contract (as the fulfillment saga has one
/// per fulfillment status). It starts on order.confirmed, follows the order's fulfillments through
/// fulfillment.status_changed and delivery.confirmed, and moves to the status they call for whenever that is a step
/// forward (<see cref="OrderStatusRules"/>), publishing order.status_changed. Every message received is recorded on the
/// order's timeline, with what it did.
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

        DuringAny(
            When(OrderConfirmed)
                .Then(c => RecordOnTimeline(c.Saga, Contracts.OrderConfirmed.Exchange, TimelineOutcomes.Duplicate, detail: "the order was confirmed before")),
            When(FulfillmentStatusChanged)
                .ThenAsync(c =>
                {
                    var outcome = OrderStatusRules.RecordFulfillment(c.Saga, c.Message);
                    RecordOnTimeline(c.Saga, Contracts.FulfillmentStatusChanged.Exchange, outcome, c.Message.FulfillmentId,
                        $"{c.Message.PreviousStatus ?? "-"} → {c.Message.Status} (sequence {c.Message.Sequence})");
                    return SettleAsync(c, Contracts.FulfillmentStatusChanged.Exchange, c.Message.ChangedAt);
                }),
            When(DeliveryConfirmed)
                .ThenAsync(c =>
                {
                    var outcome = OrderStatusRules.RecordDelivery(c.Saga, c.Message);
                    RecordOnTimeline(c.Saga, Contracts.DeliveryConfirmed.Exchange, outcome, c.Message.FulfillmentId,
                        outcome == TimelineOutcomes.Held ? "kept until the fulfillment has shipped" : null);
                    return SettleAsync(c, Contracts.DeliveryConfirmed.Exchange, c.Message.DeliveredAt);
                }),
            When(OrderCancellationRequested)
                .Then(c => RecordOnTimeline(c.Saga, Contracts.OrderCancellationRequested.Exchange, TimelineOutcomes.Recorded, detail: c.Message.Reason)),
            When(OrderCancellationRefused)
                .Then(c => RecordOnTimeline(c.Saga, Contracts.OrderCancellationRefused.Exchange, TimelineOutcomes.Refused, detail: c.Message.Reason)),
            When(FulfillmentOverdue)
                .Then(c => RecordOnTimeline(c.Saga, Contracts.FulfillmentOverdue.Exchange, OrderStatusRules.RecordOverdue(c.Saga, c.Message),
                    c.Message.FulfillmentId,
                    $"{c.Message.Status} since {ContractTimestamps.Write(c.Message.Since)}, deadline {ContractTimestamps.Write(c.Message.Deadline)}")));
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

    /// <summary>Moves to the status the fulfillments call for and publishes order.status_changed, when that is a step forward.</summary>
    async Task SettleAsync<T>(BehaviorContext<OrderState, T> context, string cause, DateTimeOffset at)
        where T : class
    {
        var order = context.Saga;
        var derived = OrderStatusRules.Derive(order);
        if (!OrderStatusRules.IsAdvance(order.Status, derived))
            return;

        var previous = order.Status;
        await context.TransitionToState(GetState(OrderStatusMap.Table.StateOf(derived)));
        RecordOnTimeline(order, cause, TimelineOutcomes.StatusChanged, previous: previous, status: derived);
        _metrics.Transition("order", derived);
        await context.Publish(new OrderStatusChanged
        {
            OrderId = order.OrderId,
            PreviousStatus = previous,
            Status = derived,
            ChangedAt = at,
            Cause = cause,
        });
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
