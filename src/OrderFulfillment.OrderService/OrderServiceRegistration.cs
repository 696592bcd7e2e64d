using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderFulfillment.Messaging;
using OrderFulfillment.OrderService.Data;
using OrderFulfillment.OrderService.OrderStatus;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.OrderService;

/// <summary>The order service's saga, for the service itself and for MassTransit's test harness.</summary>
public static class OrderServiceRegistration
{
    /// <summary>
    /// Adds the order-status saga, stored in <see cref="OrderDbContext"/>, with <see cref="OrderStateDefinition"/>, which owns
    /// its endpoint; the message's transaction is the host's (<see cref="IMessageTransaction"/>).
    /// </summary>
    public static IBusRegistrationConfigurator AddOrderStatusSaga(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.TryAddSingleton<OrderFulfillmentMetrics>();
        bus.AddSagaStateMachine<OrderStateMachine, OrderState, OrderStateDefinition>()
            .PostgresRepository<OrderState, OrderDbContext>();
        return bus;
    }
}
