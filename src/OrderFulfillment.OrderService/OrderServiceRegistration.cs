using MassTransit;
using OrderFulfillment.OrderService.Data;
using OrderFulfillment.OrderService.OrderStatus;
using OrderFulfillment.Persistence;
using OrderFulfillment.ServiceDefaults.Messaging;

namespace OrderFulfillment.OrderService;

/// <summary>The order service's saga, for the service itself and for MassTransit's test harness.</summary>
public static class OrderServiceRegistration
{
    public const string OrderStatusQueue = "order-status";

    /// <summary>Adds the order-status saga, stored in <see cref="OrderDbContext"/>.</summary>
    public static IBusRegistrationConfigurator AddOrderStatusSaga(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddSagaStateMachine<OrderStateMachine, OrderState>()
            .PostgresRepository<OrderState, OrderDbContext>()
            .Endpoint(e => e.Name = OrderStatusQueue);
        return bus;
    }

    /// <summary>The endpoint runs the contract pipeline: validation, retry, the transactional outbox, error queue with alert.</summary>
    public static void ConfigureOrderEndpoints(this IBusFactoryConfigurator cfg, IBusRegistrationContext context, bool transactionalOutbox = true)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        cfg.ReceiveEndpoint(OrderStatusQueue, e =>
        {
            e.UseContractPipeline<OrderDbContext>(context, transactionalOutbox);
            e.ConfigureSaga<OrderState>(context);
        });
    }
}
