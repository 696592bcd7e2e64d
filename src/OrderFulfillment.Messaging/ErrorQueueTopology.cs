using MassTransit;
using MassTransit.RabbitMqTransport.Configuration;

namespace OrderFulfillment.Messaging;

/// <summary>
/// Declares each durable endpoint's <c>&lt;queue&gt;_error</c> exchange and queue when the endpoint starts, as MassTransit
/// would declare them on the first move (same exchange type, durability and arguments as the endpoint's own queue, so a
/// quorum endpoint gets a quorum error queue and MassTransit's later declaration is equivalent). Without it the error
/// exchange exists only after a first message was moved there, and a message the broker dead-letters by itself (a quorum
/// queue's <c>delivery-limit</c> policy) before that is dropped.
/// </summary>
public static class ErrorQueueTopology
{
    /// <summary>Declares the error queues of every durable endpoint; call after the queue type is applied (<see cref="QuorumQueueTopology"/>).</summary>
    public static void DeclareErrorQueuesAtStart(this IRabbitMqBusFactoryConfigurator cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        cfg.ConnectEndpointConfigurationObserver(new ErrorQueues());
    }

    sealed class ErrorQueues : IEndpointConfigurationObserver
    {
        public void EndpointConfigured<T>(T configurator)
            where T : IReceiveEndpointConfigurator
        {
            if (configurator is not IRabbitMqReceiveEndpointConfiguration { Settings: { Durable: true, AutoDelete: false, Exclusive: false } settings } endpoint)
                return;
            var errorQueue = settings.QueueName + "_error";
            endpoint.Topology.Consume.BindQueue(errorQueue, errorQueue, binding =>
            {
                binding.ExchangeType = settings.ExchangeType;
                binding.Durable = settings.Durable;
                binding.AutoDelete = settings.AutoDelete;
                foreach (var (key, value) in settings.ExchangeArguments)
                    binding.SetExchangeArgument(key, value);
                foreach (var (key, value) in settings.QueueArguments)
                    binding.SetQueueArgument(key, value);
            });
        }
    }
}
