using System.Diagnostics.Metrics;
using OrderFulfillment.Operations.Connections;

namespace OrderFulfillment.Console.Hosting;

/// <summary>
/// What the services cannot say about themselves, on the console's <c>/metrics</c>: whether each service answers
/// <c>/health/ready</c> (<c>orderfulfillment_service_ready</c>), and every queue's depth and consumers as RabbitMQ's
/// management API has them (<c>orderfulfillment_queue_messages</c>, <c>orderfulfillment_queue_consumers</c>, and
/// <c>orderfulfillment_broker_up</c> for whether it answered). Sampled every <see cref="Interval"/> in the background, so
/// a scrape never waits on the broker or the services; the alert rules in <c>monitoring/</c> read these.
/// </summary>
public sealed class FleetMetrics : BackgroundService
{
    public const string MeterName = "OrderFulfillment.Console";
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    readonly ServiceApi _services;
    readonly ManagementApi _management;
    readonly ConnectionSettings _settings;
    readonly ILogger<FleetMetrics> _logger;
    volatile Snapshot _last = new([], [], false);

    sealed record Snapshot(IReadOnlyList<(string Service, bool Ready)> Services, IReadOnlyList<QueueDepth> Queues, bool BrokerUp);

    public FleetMetrics(ServiceApi services, ManagementApi management, ConnectionSettings settings, IMeterFactory meters, ILogger<FleetMetrics> logger)
    {
        _services = services;
        _management = management;
        _settings = settings;
        _logger = logger;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("orderfulfillment.service_ready", () => _last.Services.Select(s =>
            new Measurement<int>(s.Ready ? 1 : 0, new KeyValuePair<string, object?>("service", s.Service))), "{service}",
            "1 when the service answers /health/ready with 200, else 0");
        meter.CreateObservableGauge("orderfulfillment.queue_messages", () => _last.Queues.Select(q =>
            new Measurement<long>(q.Messages, new KeyValuePair<string, object?>("queue", q.Name))), "{message}",
            "Messages in the queue (ready and unacknowledged), from RabbitMQ's management API");
        meter.CreateObservableGauge("orderfulfillment.queue_consumers", () => _last.Queues.Select(q =>
            new Measurement<int>(q.Consumers, new KeyValuePair<string, object?>("queue", q.Name))), "{consumer}",
            "Consumers on the queue, from RabbitMQ's management API");
        meter.CreateObservableGauge("orderfulfillment.broker_up", () => _last.BrokerUp ? 1 : 0, "{broker}",
            "1 when RabbitMQ's management API answered the last sample, else 0");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            _last = await SampleAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    async Task<Snapshot> SampleAsync(CancellationToken ct)
    {
        var orders = _services.GetReadinessAsync(_settings.OrderService, ct);
        var fulfillments = _services.GetReadinessAsync(_settings.FulfillmentService, ct);
        IReadOnlyList<QueueDepth> queues = [];
        var brokerUp = true;
        try
        {
            // MassTransit's per-process bus queues (<host>_<process>_bus_<id>) come and go with the processes: left out.
            queues = [.. (await _management.ListQueueDepthsAsync(ct).ConfigureAwait(false)).Where(q => !q.Name.Contains("_bus_", StringComparison.Ordinal))];
        }
        catch (OperationException exception)
        {
            // Reported as orderfulfillment_broker_up 0 (and no queue series), which the BrokerUnreachable alert pages on.
            _logger.LogWarning("RabbitMQ's management API did not answer the metrics sample: {Reason}", exception.Message);
            brokerUp = false;
        }

        return new Snapshot([("order-service", (await orders.ConfigureAwait(false)).IsReady), ("fulfillment-service", (await fulfillments.ConfigureAwait(false)).IsReady)],
            queues, brokerUp);
    }
}
