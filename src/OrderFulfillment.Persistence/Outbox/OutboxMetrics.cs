using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>The outbox's backlog, sampled by the delivery service (meter <see cref="MeterName"/>).</summary>
internal sealed class OutboxMetrics
{
    public const string MeterName = "OrderFulfillment.Persistence";

    long _backlog;
    double _oldestAgeSeconds;

    public OutboxMetrics(IServiceProvider services)
    {
        // The host's meter factory where there is one (ASP.NET Core registers it), else a meter of our own.
        var meter = services.GetService<IMeterFactory>()?.Create(MeterName) ?? new Meter(MeterName);
        meter.CreateObservableGauge("orderfulfillment.outbox.backlog", () => Volatile.Read(ref _backlog), "{message}", "Outbox messages committed and not yet delivered");
        meter.CreateObservableGauge("orderfulfillment.outbox.oldest_age", () => Volatile.Read(ref _oldestAgeSeconds), "s", "Age of the oldest undelivered outbox message");
    }

    public void Record(long backlog, double oldestAgeSeconds)
    {
        Volatile.Write(ref _backlog, backlog);
        Volatile.Write(ref _oldestAgeSeconds, oldestAgeSeconds);
    }
}

internal sealed record OutboxBacklog(long Count, double OldestAgeSeconds);
