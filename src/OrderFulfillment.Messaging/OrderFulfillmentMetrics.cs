using System.Diagnostics.Metrics;

namespace OrderFulfillment.Messaging;

/// <summary>
/// The system's own instruments (MassTransit's meter adds consumed, published and processing time). One instance per
/// process, from the container: the state machines and the dead-letter alert take it by injection.
/// </summary>
public sealed class OrderFulfillmentMetrics
{
    public const string MeterName = "OrderFulfillment";

    /// <param name="meterFactory">The host's meter factory; without one (a bare test container) a meter of its own.</param>
    public OrderFulfillmentMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        DeadLetters = meter.CreateCounter<long>("orderfulfillment.dead_letters", description: "Messages moved to an error queue, by queue and reason");
        SagaTransitions = meter.CreateCounter<long>("orderfulfillment.saga_transitions",
            description: "Saga status changes applied, by saga and status; an attempt rolled back by a concurrency conflict and retried counts again");
        FulfillmentsOverdue = meter.CreateCounter<long>("orderfulfillment.fulfillments_overdue",
            description: "Fulfillments that stayed in a status past its deadline (fulfillment.overdue published), by status");
    }

    public Counter<long> DeadLetters { get; }

    /// <summary>
    /// Status changes of the sagas, tagged by saga and status (<c>orderfulfillment_saga_transitions_total</c>). Counted
    /// when applied, before the commit: a retried attempt counts again, so committed changes are MassTransit's publish
    /// counter for order.status_changed and fulfillment.status_changed.
    /// </summary>
    public Counter<long> SagaTransitions { get; }

    /// <summary>
    /// fulfillment.overdue events, tagged by the status the fulfillment was stuck in (<c>orderfulfillment_fulfillments_overdue_total</c>).
    /// Counted when applied, before the commit, like <see cref="SagaTransitions"/>.
    /// </summary>
    public Counter<long> FulfillmentsOverdue { get; }

    public void Overdue(string status) => FulfillmentsOverdue.Add(1, new KeyValuePair<string, object?>("status", status));

    public void Transition(string saga, string status) =>
        SagaTransitions.Add(1, new KeyValuePair<string, object?>("saga", saga), new KeyValuePair<string, object?>("status", status));
}
