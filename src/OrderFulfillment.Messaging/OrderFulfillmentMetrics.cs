using System.Diagnostics.Metrics;

namespace OrderFulfillment.Messaging;

/// <summary>
/// The system's own instruments, all named <c>orderfulfillment.*</c> (on /metrics <c>orderfulfillment_*</c>; MassTransit's
/// meter adds messages received, consumed and published, and their durations). One instance per process, from the
/// container: the state machines and the dead-letter alert take it by injection.
/// </summary>
public sealed class OrderFulfillmentMetrics
{
    public const string MeterName = "OrderFulfillment";

    /// <param name="meterFactory">The host's meter factory; without one (a bare test container) a meter of its own.</param>
    public OrderFulfillmentMetrics(IMeterFactory? meterFactory = null)
    {
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        DeadLetters = meter.CreateCounter<long>("orderfulfillment.dead_letters", "{message}", "Messages moved to an error queue, by queue and reason");
        SagaTransitions = meter.CreateCounter<long>("orderfulfillment.saga_transitions", "{transition}",
            "Saga status changes applied, by saga and status; an attempt rolled back by a concurrency conflict and retried counts again");
        FulfillmentsOverdue = meter.CreateCounter<long>("orderfulfillment.fulfillments_overdue", "{fulfillment}",
            "Fulfillments that stayed in a status past its deadline (fulfillment.overdue published), by status");
        StepsHeld = meter.CreateCounter<long>("orderfulfillment.steps_held", "{step}",
            "Warehouse steps held because they arrived ahead of the next step, by the status they move to");
        StepsReleased = meter.CreateCounter<long>("orderfulfillment.steps_released", "{step}",
            "Held warehouse steps applied, by status and release: gap_closed (in turn), window (the hold window ended: a skip-ahead), cancellation");
        StepHoldDuration = meter.CreateHistogram<double>("orderfulfillment.step_hold_duration", "s",
            "How long a held warehouse step waited before it was applied, by release",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30] });
    }

    /// <summary>
    /// Messages moved to <c>&lt;queue&gt;_error</c>, tagged by source queue and reason, the exception type
    /// (<c>orderfulfillment_dead_letters_total</c>).
    /// </summary>
    public Counter<long> DeadLetters { get; }

    /// <summary>
    /// Status changes of the sagas, tagged by saga and status (<c>orderfulfillment_saga_transitions_total</c>). Counted
    /// when applied, before the commit: a retried attempt counts again. The changes committed and announced are what
    /// outbox delivery sent: <c>messaging_masstransit_send_total</c> by destination (<c>order_status_changed</c>,
    /// <c>fulfillment_status_changed</c>).
    /// </summary>
    public Counter<long> SagaTransitions { get; }

    /// <summary>
    /// fulfillment.overdue events, tagged by the status the fulfillment was stuck in (<c>orderfulfillment_fulfillments_overdue_total</c>).
    /// Counted when applied, before the commit, like <see cref="SagaTransitions"/>.
    /// </summary>
    public Counter<long> FulfillmentsOverdue { get; }

    /// <summary>Steps held for the steps before them (<c>orderfulfillment_steps_held_total</c>); counted before the commit, like <see cref="SagaTransitions"/>.</summary>
    public Counter<long> StepsHeld { get; }

    /// <summary>Held steps applied, by status and release (<c>orderfulfillment_steps_released_total</c>).</summary>
    public Counter<long> StepsReleased { get; }

    /// <summary>How long held steps waited (<c>orderfulfillment_step_hold_duration_seconds</c>), by release.</summary>
    public Histogram<double> StepHoldDuration { get; }

    public void StepHeld(string status) => StepsHeld.Add(1, new KeyValuePair<string, object?>("status", status));

    public void StepReleased(string status, string release, TimeSpan held)
    {
        StepsReleased.Add(1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("release", release));
        StepHoldDuration.Record(Math.Max(0, held.TotalSeconds), new KeyValuePair<string, object?>("release", release));
    }

    public void Overdue(string status) => FulfillmentsOverdue.Add(1, new KeyValuePair<string, object?>("status", status));

    public void Transition(string saga, string status) =>
        SagaTransitions.Add(1, new KeyValuePair<string, object?>("saga", saga), new KeyValuePair<string, object?>("status", status));
}
