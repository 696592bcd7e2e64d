using System.Diagnostics.Metrics;

namespace OrderFulfillment.Messaging;

/// <summary>The system's own instruments (MassTransit's meter adds consumed, published and processing time).</summary>
public sealed class OrderFulfillmentMetrics
{
    public const string MeterName = "OrderFulfillment";

    public OrderFulfillmentMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        DeadLetters = meter.CreateCounter<long>("orderfulfillment.dead_letters", description: "Messages moved to an error queue, by queue and reason");
    }

    public Counter<long> DeadLetters { get; }

    static readonly Meter TransitionMeter = new(MeterName);

    /// <summary>
    /// Status changes of the sagas, tagged by saga and status (<c>orderfulfillment_saga_transitions_total</c>). Counted
    /// when applied, before the commit: a retried attempt counts again, so committed changes are MassTransit's publish
    /// counter for order.status_changed and fulfillment.status_changed. Static, since the state machines that count
    /// them are built without the container.
    /// </summary>
    public static readonly Counter<long> SagaTransitions =
        TransitionMeter.CreateCounter<long>("orderfulfillment.saga_transitions",
            description: "Saga status changes applied, by saga and status; an attempt rolled back by a concurrency conflict and retried counts again");

    /// <summary>
    /// fulfillment.overdue events, tagged by the status the fulfillment was stuck in (<c>orderfulfillment_fulfillments_overdue_total</c>).
    /// Counted when applied, before the commit, like <see cref="SagaTransitions"/>.
    /// </summary>
    public static readonly Counter<long> FulfillmentsOverdue =
        TransitionMeter.CreateCounter<long>("orderfulfillment.fulfillments_overdue",
            description: "Fulfillments that stayed in a status past its deadline (fulfillment.overdue published), by status");

    public static void Overdue(string status) => FulfillmentsOverdue.Add(1, new KeyValuePair<string, object?>("status", status));

    public static void Transition(string saga, string status) =>
        SagaTransitions.Add(1, new KeyValuePair<string, object?>("saga", saga), new KeyValuePair<string, object?>("status", status));
}
