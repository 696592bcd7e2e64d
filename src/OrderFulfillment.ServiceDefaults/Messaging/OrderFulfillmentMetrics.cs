using System.Diagnostics.Metrics;

namespace OrderFulfillment.ServiceDefaults.Messaging;

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
}
