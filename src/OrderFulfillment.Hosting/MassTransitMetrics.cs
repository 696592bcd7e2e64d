using System.Diagnostics.Metrics;
using MassTransit.Monitoring;

namespace OrderFulfillment.Hosting;

/// <summary>
/// MassTransit's meter in Prometheus' conventions. MassTransit 8.5 counts in the unit <c>ea</c>, times in milliseconds,
/// and counts what is in progress on counters it adds -1 to; exported as they are, these read
/// <c>messaging_masstransit_consume_ea_total</c>, <c>…_duration_milliseconds</c> and <c>…_active_ea_total</c> (a
/// "counter" that goes down). This listener records each of its measurements again, under the same instrument name,
/// on meter <see cref="MeterName"/>: counters of {message} (<c>messaging_masstransit_consume_total</c>), the
/// <c>.active</c> ones as up-down counters (gauges: <c>messaging_masstransit_consume_active</c>), and durations in
/// seconds (<c>messaging_masstransit_consume_duration_seconds</c>). MassTransit's own meter is not exported. Made and
/// disposed by the meter provider (<c>AddInstrumentation</c>).
/// </summary>
public sealed class MassTransitMetrics : IDisposable
{
    public const string MeterName = "OrderFulfillment.MassTransit";

    // Seconds; a message takes milliseconds, a delivery after retries or a redelivery can take half a minute.
    static readonly double[] DurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    readonly Meter _meter = new(MeterName);
    readonly MeterListener _listener = new();

    public MassTransitMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != InstrumentationOptions.MeterName)
                return;
            object? again = instrument switch
            {
                Counter<long> when instrument.Name.EndsWith(".active", StringComparison.Ordinal) =>
                    _meter.CreateUpDownCounter<long>(instrument.Name, "{message}", instrument.Description),
                Counter<long> => _meter.CreateCounter<long>(instrument.Name, "{message}", instrument.Description),
                Histogram<double> => _meter.CreateHistogram(instrument.Name, "s", instrument.Description?.Replace("in millis", "in seconds", StringComparison.Ordinal),
                    tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets }),
                _ => null,
            };
            if (again is not null)
                listener.EnableMeasurementEvents(instrument, again);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, again) =>
        {
            if (again is Counter<long> counter)
                counter.Add(value, tags);
            else if (again is UpDownCounter<long> upDown)
                upDown.Add(value, tags);
        });
        _listener.SetMeasurementEventCallback<double>((_, milliseconds, tags, again) => ((Histogram<double>)again!).Record(milliseconds / 1000, tags));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }
}
