using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.Persistence;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.FulfillmentService;

/// <summary>The fulfillment service's sagas and consumers, for the service itself and for MassTransit's test harness.</summary>
public static class FulfillmentServiceRegistration
{
    public const string FulfillmentQueue = "fulfillment";
    public const string OrderEventsQueue = "fulfillment-order-events";

    /// <summary>
    /// Where the consumers of order events send the fulfillment saga its commands: the queue's own exchange, which its
    /// endpoint declares and binds (a <c>queue:</c> address would declare the queue again, with other arguments than a quorum queue's).
    /// </summary>
    public static readonly Uri FulfillmentQueueAddress = new($"exchange:{FulfillmentQueue}");

    /// <summary>Fulfillments processed at once by one instance (each fulfillment's messages one at a time).</summary>
    const int FulfillmentPartitions = 16;

    /// <summary>
    /// Adds the fulfillment saga (stored in <see cref="FulfillmentDbContext"/>) and the order consumers. A harness test
    /// calls it as the service does; the endpoints are configured by <see cref="ConfigureFulfillmentEndpoints"/>.
    /// </summary>
    public static IBusRegistrationConfigurator AddFulfillmentSagas(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.TryAddSingleton<OrderFulfillmentMetrics>();
        bus.AddSagaStateMachine<FulfillmentStateMachine, FulfillmentState>()
            .PostgresRepository<FulfillmentState, FulfillmentDbContext>()
            .Endpoint(e => e.Name = FulfillmentQueue);
        bus.AddConsumer<OrderStatusChangedConsumer>().Endpoint(e => e.Name = OrderEventsQueue);
        bus.AddConsumer<OrderCancellationRequestedConsumer>().Endpoint(e => e.Name = OrderEventsQueue);
        return bus;
    }

    /// <summary>Each endpoint runs the contract pipeline: validation, retry, the transactional outbox, error queue with alert.</summary>
    public static void ConfigureFulfillmentEndpoints(this IBusFactoryConfigurator cfg, IBusRegistrationContext context, bool transactionalOutbox = true)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        cfg.ReceiveEndpoint(FulfillmentQueue, e =>
        {
            // Every instance consumes the queue (competing consumers). Inside one: messages enter in delivery order and
            // one message per fulfillment runs at a time, retries included, while different fulfillments run side by
            // side. Across instances two messages of one fulfillment may run at once: the saga's row version lets one
            // commit and the other retry against its outcome. A step that arrives ahead of its turn, in whatever order
            // the instances took them, is held by the saga until the steps before it come (StepHoldOptions).
            e.AdmitInDeliveryOrder();
            var perFulfillment = e.CreatePartitioner(FulfillmentPartitions);
            e.UsePartitioner<WarehousePickingStarted>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<WarehousePicked>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<WarehousePackingStarted>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<WarehousePacked>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<WarehouseReadyToShip>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<WarehouseShipped>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<WarehouseCompleted>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<WarehouseCancelled>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<FulfillmentDeadlineReached>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<FulfillmentHoldExpired>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<FulfillmentPlanned>(perFulfillment, c => c.Message.FulfillmentId);
            e.UsePartitioner<CancelledWithOrder>(perFulfillment, c => c.Message.FulfillmentId);
            // The saga's internal events travel on no exchange: the deadline and hold timeouts come to this queue by a
            // send from the outbox's scheduler; planning and cancelling with the order are commands the order-events
            // consumers send here through their outbox.
            e.ConfigureMessageTopology<FulfillmentDeadlineReached>(false);
            e.ConfigureMessageTopology<FulfillmentHoldExpired>(false);
            e.ConfigureMessageTopology<FulfillmentPlanned>(false);
            e.ConfigureMessageTopology<CancelledWithOrder>(false);
            e.UseHarnessScheduler(transactionalOutbox);
            e.UseContractPipeline<FulfillmentDbContext>(context, transactionalOutbox);
            e.ConfigureSaga<FulfillmentState>(context);
        });
        cfg.ReceiveEndpoint(OrderEventsQueue, e =>
        {
            e.UseHarnessScheduler(transactionalOutbox);
            e.UseContractPipeline<FulfillmentDbContext>(context, transactionalOutbox);
            e.ConfigureConsumer<OrderStatusChangedConsumer>(context);
            e.ConfigureConsumer<OrderCancellationRequestedConsumer>(context);
        });
    }

    /// <summary>Without the transactional outbox (harness tests), MassTransit's in-memory delayed scheduler stands in for its scheduler.</summary>
    static void UseHarnessScheduler(this IReceiveEndpointConfigurator endpoint, bool transactionalOutbox)
    {
        if (!transactionalOutbox)
            endpoint.UseFilter(new MassTransit.Middleware.DelayedMessageSchedulerFilter());
    }
}
