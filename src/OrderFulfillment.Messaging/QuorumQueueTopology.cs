using MassTransit;
using MassTransit.RabbitMqTransport.Configuration;

namespace OrderFulfillment.Messaging;

/// <summary>
/// With <see cref="RabbitMqOptions.QuorumQueues"/> on, every durable receive endpoint declares a quorum queue replicated on
/// <see cref="RabbitMqOptions.QuorumReplicationFactor"/> nodes. MassTransit declares <c>&lt;queue&gt;_error</c> with the
/// arguments of its queue, so it is a quorum queue too (no <c>_skipped</c> queue is used: see <see cref="NotConsumedFilter"/>). The per-process bus
/// endpoint (auto-deleted) stays a classic queue: a quorum queue cannot be exclusive or auto-deleted.
/// </summary>
public static class QuorumQueueTopology
{
    /// <summary>Applies the queue type to each endpoint after its own configuration, which may add single-active-consumer.</summary>
    public static void UseContractQueueType(this IRabbitMqBusFactoryConfigurator cfg, RabbitMqOptions options)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        ArgumentNullException.ThrowIfNull(options);
        if (options.QuorumQueues)
            cfg.ConnectEndpointConfigurationObserver(new QuorumEndpoints(options.QuorumReplicationFactor));
    }

    sealed class QuorumEndpoints(int replicationFactor) : IEndpointConfigurationObserver
    {
        public void EndpointConfigured<T>(T configurator)
            where T : IReceiveEndpointConfigurator
        {
            if (configurator is IRabbitMqReceiveEndpointConfiguration { Settings: { Durable: true, AutoDelete: false, Exclusive: false } } endpoint
                && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                rabbit.SetQuorumQueue(replicationFactor);
        }
    }
}
