using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.Messaging;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.FulfillmentService;

/// <summary>The fulfillment service's sagas and consumers, for the service itself and for MassTransit's test harness.</summary>
public static class FulfillmentServiceRegistration
{
    /// <summary>
    /// Where the consumers of order events send the fulfillment saga its commands: the queue's own exchange, which its
    /// endpoint declares and binds (a <c>queue:</c> address would declare the queue again, with other arguments than a quorum queue's).
    /// </summary>
    public static readonly Uri FulfillmentQueueAddress = new($"exchange:{FulfillmentStateDefinition.Queue}");

    /// <summary>
    /// Adds the fulfillment saga (stored in <see cref="FulfillmentDbContext"/>) and the order consumers, each with the
    /// definition that owns its endpoint (<see cref="FulfillmentStateDefinition"/>, <see cref="OrderEventsDefinition"/>).
    /// A harness test calls it as the service does; the message's transaction is the host's (<see cref="IMessageTransaction"/>).
    /// </summary>
    public static IBusRegistrationConfigurator AddFulfillmentSagas(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.TryAddSingleton<OrderFulfillmentMetrics>();
        bus.AddSagaStateMachine<FulfillmentStateMachine, FulfillmentState, FulfillmentStateDefinition>()
            .PostgresRepository<FulfillmentState, FulfillmentDbContext>();
        bus.AddConsumer<OrderStatusChangedConsumer, OrderEventsDefinition>();
        bus.AddConsumer<OrderCancellationRequestedConsumer>().Endpoint(e => e.Name = OrderEventsDefinition.Queue);
        return bus;
    }
}
