using MassTransit;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// The <c>fulfillment-order-events</c> queue, which <see cref="OrderStatusChangedConsumer"/> and
/// <see cref="OrderCancellationRequestedConsumer"/> share. This definition (the first consumer's) owns the endpoint: the
/// contract pipeline (error queue with alert, the message's transaction, retry, validation); the second consumer is
/// only named onto the same queue. Each order event is one transaction that sends the fulfillment saga its commands
/// through the outbox.
/// </summary>
public sealed class OrderEventsDefinition : ConsumerDefinition<OrderStatusChangedConsumer>
{
    public const string Queue = "fulfillment-order-events";

    public OrderEventsDefinition() => EndpointName = Queue;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<OrderStatusChangedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.UseContractPipeline(context);
    }
}
