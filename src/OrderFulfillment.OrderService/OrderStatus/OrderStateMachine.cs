using MassTransit;
using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>
/// The customer-facing status of an order. It starts on order.confirmed, follows the order's fulfillments through
/// fulfillment.status_changed and delivery.confirmed, and publishes order.status_changed whenever the derived status
/// moves forward (see <see cref="OrderStatusRules"/>). Every message received lands in the order's timeline, with what it did.
/// </summary>
public sealed class OrderStateMachine : MassTransitStateMachine<OrderState>
{
    public OrderStateMachine()
    {
        InstanceState(x => x.CurrentState);

        Event(() => OrderConfirmed, e => e.CorrelateById(c => DeterministicId.ForOrder(c.Message.OrderId)));
        OrderEvent(() => FulfillmentStatusChanged, m => m.OrderId);
        OrderEvent(() => DeliveryConfirmed, m => m.OrderId);
        OrderEvent(() => OrderCancellationRequested, m => m.OrderId);
        OrderEvent(() => OrderCancellationRefused, m => m.OrderId);
        OrderEvent(() => FulfillmentOverdue, m => m.OrderId);

        Initially(
            When(OrderConfirmed)
                .ThenAsync(StartAsync)
                .TransitionTo(Open));

        DuringAny(
            When(OrderConfirmed)
                .Then(c => Log(c.Saga, Contracts.OrderConfirmed.Exchange, TimelineOutcomes.Duplicate, detail: "the order was confirmed before")),
            When(FulfillmentStatusChanged)
                .ThenAsync(c =>
                {
                    var outcome = OrderStatusRules.RecordFulfillment(c.Saga, c.Message);
                    Log(c.Saga, Contracts.FulfillmentStatusChanged.Exchange, outcome, c.Message.FulfillmentId,
                        $"{c.Message.PreviousStatus ?? "-"} → {c.Message.Status} (sequence {c.Message.Sequence})");
                    return SettleAsync(c, Contracts.FulfillmentStatusChanged.Exchange, c.Message.ChangedAt);
                }),
            When(DeliveryConfirmed)
                .ThenAsync(c =>
                {
                    var outcome = OrderStatusRules.RecordDelivery(c.Saga, c.Message);
                    Log(c.Saga, Contracts.DeliveryConfirmed.Exchange, outcome, c.Message.FulfillmentId,
                        outcome == TimelineOutcomes.Held ? "kept until the fulfillment has shipped" : null);
                    return SettleAsync(c, Contracts.DeliveryConfirmed.Exchange, c.Message.DeliveredAt);
                }),
            When(OrderCancellationRequested)
                .Then(c => Log(c.Saga, Contracts.OrderCancellationRequested.Exchange, TimelineOutcomes.Recorded, detail: c.Message.Reason)),
            When(OrderCancellationRefused)
                .Then(c => Log(c.Saga, Contracts.OrderCancellationRefused.Exchange, TimelineOutcomes.Refused, detail: c.Message.Reason)),
            When(FulfillmentOverdue)
                .Then(c => Log(c.Saga, Contracts.FulfillmentOverdue.Exchange, OrderStatusRules.RecordOverdue(c.Saga, c.Message), c.Message.FulfillmentId,
                    string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"{c.Message.Status} since {c.Message.Since:O}, deadline {c.Message.Deadline:O}"))));
    }

    public State Open { get; } = null!;
    public State Closed { get; } = null!;

    public Event<OrderConfirmed> OrderConfirmed { get; } = null!;
    public Event<FulfillmentStatusChanged> FulfillmentStatusChanged { get; } = null!;
    public Event<DeliveryConfirmed> DeliveryConfirmed { get; } = null!;
    public Event<OrderCancellationRequested> OrderCancellationRequested { get; } = null!;
    public Event<OrderCancellationRefused> OrderCancellationRefused { get; } = null!;
    public Event<FulfillmentOverdue> FulfillmentOverdue { get; } = null!;

    static async Task StartAsync(BehaviorContext<OrderState, OrderConfirmed> context)
    {
        var order = context.Saga;
        order.OrderId = context.Message.OrderId;
        order.ConfirmedAt = context.Message.ConfirmedAt;
        order.Lines = [.. context.Message.Lines];
        order.Status = OrderStatuses.Confirmed;
        Log(order, Contracts.OrderConfirmed.Exchange, TimelineOutcomes.StatusChanged, status: OrderStatuses.Confirmed);
        OrderFulfillmentMetrics.Transition("order", OrderStatuses.Confirmed);
        await context.Publish(new OrderStatusChanged
        {
            OrderId = order.OrderId,
            PreviousStatus = null,
            Status = OrderStatuses.Confirmed,
            ChangedAt = DateTimeOffset.UtcNow,
            Lines = order.Lines,
            Cause = Contracts.OrderConfirmed.Exchange,
        });
    }

    /// <summary>Publishes order.status_changed when the derived status moves forward; nothing when it does not.</summary>
    async Task SettleAsync<T>(BehaviorContext<OrderState, T> context, string cause, DateTimeOffset at)
        where T : class
    {
        var order = context.Saga;
        var derived = OrderStatusRules.Derive(order);
        if (!OrderStatusRules.IsAdvance(order.Status, derived))
            return;

        var previous = order.Status;
        order.Status = derived;
        Log(order, cause, TimelineOutcomes.StatusChanged, previous: previous, status: derived);
        OrderFulfillmentMetrics.Transition("order", derived);
        if (OrderStatusRules.IsFinal(derived))
            await context.TransitionToState(Closed);
        await context.Publish(new OrderStatusChanged
        {
            OrderId = order.OrderId,
            PreviousStatus = previous,
            Status = derived,
            ChangedAt = at,
            Cause = cause,
        });
    }

    static void Log(OrderState order, string message, string outcome, Guid? fulfillmentId = null, string? detail = null,
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
