using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderFulfillment.Contracts;
using OrderFulfillment.OrderService.Data;
using OrderFulfillment.OrderService.OrderStatus;
using OrderFulfillment.Persistence;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.OrderService;

/// <summary>The order service's saga, for the service itself and for MassTransit's test harness.</summary>
public static class OrderServiceRegistration
{
    public const string OrderStatusQueue = "order-status";

    /// <summary>Orders processed at once by one instance (each order's messages one at a time).</summary>
    const int OrderPartitions = 16;

    /// <summary>Adds the order-status saga, stored in <see cref="OrderDbContext"/>.</summary>
    public static IBusRegistrationConfigurator AddOrderStatusSaga(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.TryAddSingleton<OrderFulfillmentMetrics>();
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
            // Every instance consumes the queue (competing consumers). The fulfillments of one order report at the same
            // time: inside one instance one message per order runs at a time, which saves the optimistic-concurrency
            // conflicts they would cause on the order's row; across instances the row version lets one commit and the
            // other retry against its outcome. Order does not matter here: each fulfillment's status is taken by its
            // sequence (an older one is stale), the order's status only moves forward, and each change is published in
            // the transaction that made it, with the status it replaced.
            e.AdmitInDeliveryOrder();
            var perOrder = e.CreatePartitioner(OrderPartitions);
            e.UsePartitioner<OrderConfirmed>(perOrder, c => OrderKey(c.Message.OrderId));
            e.UsePartitioner<FulfillmentStatusChanged>(perOrder, c => OrderKey(c.Message.OrderId));
            e.UsePartitioner<DeliveryConfirmed>(perOrder, c => OrderKey(c.Message.OrderId));
            e.UsePartitioner<OrderCancellationRequested>(perOrder, c => OrderKey(c.Message.OrderId));
            e.UsePartitioner<OrderCancellationRefused>(perOrder, c => OrderKey(c.Message.OrderId));
            e.UsePartitioner<FulfillmentOverdue>(perOrder, c => OrderKey(c.Message.OrderId));
            e.UseContractPipeline<OrderDbContext>(context, transactionalOutbox);
            e.ConfigureSaga<OrderState>(context);
        });
    }

    // An invalid message without an order id still reaches the validation filter, which names what is missing.
    static Guid OrderKey(string? orderId) => DeterministicId.ForOrder(orderId ?? string.Empty);
}
