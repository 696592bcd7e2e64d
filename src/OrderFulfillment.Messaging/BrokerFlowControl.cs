using System.Runtime.CompilerServices;
using MassTransit;
using MassTransit.RabbitMqTransport;
using MassTransit.RabbitMqTransport.Configuration;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OrderFulfillment.Messaging;

/// <summary>
/// Whether RabbitMQ blocks this service's connection: while one of its resource alarms is on (free disk below
/// <c>disk_free_limit</c>, memory above the high watermark, on any node of the cluster) it stops reading from every
/// connection that publishes. The outbox keeps what was committed and delivers it when the alarm clears; nothing else
/// says why events stopped, so a Warning line when the broker blocks (EventId 9211, with RabbitMQ's reason, e.g.
/// <c>low on disk</c>) and one when it unblocks (9212), and /health/ready reports Degraded meanwhile.
/// </summary>
/// <remarks>
/// MassTransit does not watch <c>connection.blocked</c>. Each receive endpoint's channel pipe hands the connection of its
/// channel here (MassTransit 8 builds no receive endpoint's connection pipe: <c>ConfigureConnection</c> would never run).
/// </remarks>
public sealed partial class BrokerFlowControl(ILoggerFactory loggerFactory)
{
    readonly ILogger _logger = loggerFactory.CreateLogger("OrderFulfillment.BrokerFlowControl");
    readonly ConditionalWeakTable<IConnection, object> _watched = [];
    readonly Lock _gate = new();

    /// <summary>When the broker blocked the connection, while it does; otherwise null.</summary>
    public DateTimeOffset? BlockedSince { get; private set; }

    /// <summary>RabbitMQ's reason for the block (<c>low on disk</c>, <c>low on memory</c>), while blocked.</summary>
    public string? BlockedReason { get; private set; }

    /// <summary>Watches every receive endpoint's connection (one per bus; a new one after each reconnect).</summary>
    public void WatchConnections(IRabbitMqBusFactoryConfigurator cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        cfg.ConnectEndpointConfigurationObserver(new EndpointConnections(this));
    }

    void Watch(IConnection connection)
    {
        if (!_watched.TryAdd(connection, this))
            return;
        connection.ConnectionBlockedAsync += OnBlockedAsync;
        connection.ConnectionUnblockedAsync += OnUnblockedAsync;
        connection.ConnectionShutdownAsync += OnShutdownAsync;
        LogWatching(connection.ClientProvidedName ?? "unnamed", connection.Endpoint.ToString());
    }

    Task OnBlockedAsync(object sender, ConnectionBlockedEventArgs blocked)
    {
        lock (_gate)
        {
            if (BlockedSince is not null)
                return Task.CompletedTask;
            BlockedSince = DateTimeOffset.UtcNow;
            BlockedReason = blocked.Reason;
        }

        LogBlocked(blocked.Reason);
        return Task.CompletedTask;
    }

    Task OnUnblockedAsync(object sender, AsyncEventArgs unblocked)
    {
        DateTimeOffset since;
        lock (_gate)
        {
            if (BlockedSince is not { } blockedSince)
                return Task.CompletedTask;
            since = blockedSince;
            BlockedSince = null;
            BlockedReason = null;
        }

        LogUnblocked((DateTimeOffset.UtcNow - since).TotalSeconds);
        return Task.CompletedTask;
    }

    // A connection that closes while blocked says nothing more; the next one is told again if the alarm is still on.
    Task OnShutdownAsync(object sender, ShutdownEventArgs shutdown)
    {
        lock (_gate)
        {
            BlockedSince = null;
            BlockedReason = null;
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 9210, Level = LogLevel.Debug, Message = "Watching RabbitMQ connection {ConnectionName} to {Endpoint} for connection.blocked")]
    partial void LogWatching(string connectionName, string endpoint);

    [LoggerMessage(EventId = 9211, Level = LogLevel.Warning,
        Message = "RabbitMQ blocked publishing ({Reason}: a resource alarm is on): outbox delivery waits, committed events are kept until it unblocks")]
    partial void LogBlocked(string reason);

    [LoggerMessage(EventId = 9212, Level = LogLevel.Warning,
        Message = "RabbitMQ unblocked publishing after {BlockedSeconds:0.0} s: the outbox delivers what it kept")]
    partial void LogUnblocked(double blockedSeconds);

    sealed class EndpointConnections(BrokerFlowControl flowControl) : IEndpointConfigurationObserver
    {
        public void EndpointConfigured<T>(T configurator)
            where T : IReceiveEndpointConfigurator
        {
            if (configurator is IRabbitMqReceiveEndpointConfigurator rabbit)
                rabbit.ConfigureChannel(channel => channel.UseFilter(new WatchFilter(flowControl)));
        }
    }

    sealed class WatchFilter(BrokerFlowControl flowControl) : IFilter<ChannelContext>
    {
        public Task Send(ChannelContext context, IPipe<ChannelContext> next)
        {
            flowControl.Watch(context.ConnectionContext.Connection);
            return next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("brokerFlowControl");
    }
}
