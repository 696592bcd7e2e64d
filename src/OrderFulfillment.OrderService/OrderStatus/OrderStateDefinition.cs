using MassTransit;
using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>
/// The order saga's endpoint, the <c>order-status</c> queue: one message per order at a time, in delivery order, and the
/// contract pipeline (error queue with alert, the message's transaction, retry, validation).
/// </summary>
/// <remarks>
/// Every instance consumes the queue (competing consumers). The fulfillments of one order report at the same time:
/// inside one instance one message per order runs at a time, which saves the optimistic-concurrency conflicts they would
/// cause on the order's row; across instances the row version lets one commit and the other retry against its outcome.
/// Order does not matter here: each fulfillment's status is taken by its sequence (an older one is stale), the order's
/// status only moves forward, and each change is published in the transaction that made it, with the status it replaced.
/// </remarks>
public sealed class OrderStateDefinition : SagaDefinition<OrderState>
{
    public const string Queue = "order-status";

    public OrderStateDefinition() => EndpointName = Queue;

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<OrderState> sagaConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        var perOrder = endpointConfigurator.PartitionPerSaga();
        endpointConfigurator.UsePartitioner<OrderConfirmed>(perOrder, c => OrderKey(c.Message.OrderId));
        endpointConfigurator.UsePartitioner<FulfillmentStatusChanged>(perOrder, c => OrderKey(c.Message.OrderId));
        endpointConfigurator.UsePartitioner<DeliveryConfirmed>(perOrder, c => OrderKey(c.Message.OrderId));
        endpointConfigurator.UsePartitioner<OrderCancellationRequested>(perOrder, c => OrderKey(c.Message.OrderId));
        endpointConfigurator.UsePartitioner<OrderCancellationRefused>(perOrder, c => OrderKey(c.Message.OrderId));
        endpointConfigurator.UsePartitioner<FulfillmentOverdue>(perOrder, c => OrderKey(c.Message.OrderId));
        endpointConfigurator.UseContractPipeline(context);
    }

    // An invalid message without an order id still reaches the validation filter, which names what is missing.
    static Guid OrderKey(string? orderId) => DeterministicId.ForOrder(orderId ?? string.Empty);
}
