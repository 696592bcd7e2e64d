using MassTransit;
using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// The fulfillment saga's endpoint, the <c>fulfillment</c> queue: one message per fulfillment at a time, in delivery
/// order, and the contract pipeline (error queue with alert, the message's transaction, retry, validation).
/// </summary>
/// <remarks>
/// Every instance consumes the queue (competing consumers). Inside one: messages enter in delivery order and one message
/// per fulfillment runs at a time, retries included, while different fulfillments run side by side. Across instances two
/// messages of one fulfillment may run at once: the saga's row version lets one commit and the other retry against its
/// outcome. A step that arrives ahead of its turn, in whatever order the instances took them, is held by the saga until
/// the steps before it come (<see cref="StepHoldOptions"/>).
/// </remarks>
public sealed class FulfillmentStateDefinition : SagaDefinition<FulfillmentState>
{
    public const string Queue = "fulfillment";

    public FulfillmentStateDefinition() => EndpointName = Queue;

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<FulfillmentState> sagaConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        var perFulfillment = endpointConfigurator.PartitionPerSaga();
        WarehouseSteps.Accept(new PartitionByFulfillment(endpointConfigurator, perFulfillment));
        endpointConfigurator.UsePartitioner<FulfillmentDeadlineReached>(perFulfillment, c => c.Message.FulfillmentId);
        endpointConfigurator.UsePartitioner<FulfillmentHoldExpired>(perFulfillment, c => c.Message.FulfillmentId);
        endpointConfigurator.UsePartitioner<FulfillmentPlanned>(perFulfillment, c => c.Message.FulfillmentId);
        endpointConfigurator.UsePartitioner<CancelledWithOrder>(perFulfillment, c => c.Message.FulfillmentId);
        // The saga's internal events travel on no exchange: the deadline and hold timeouts come to this queue by a send
        // from the outbox's scheduler; planning and cancelling with the order are commands the order-events consumers send
        // here through their outbox.
        endpointConfigurator.ConfigureMessageTopology<FulfillmentDeadlineReached>(false);
        endpointConfigurator.ConfigureMessageTopology<FulfillmentHoldExpired>(false);
        endpointConfigurator.ConfigureMessageTopology<FulfillmentPlanned>(false);
        endpointConfigurator.ConfigureMessageTopology<CancelledWithOrder>(false);
        endpointConfigurator.UseContractPipeline(context);
    }

    sealed class PartitionByFulfillment(IReceiveEndpointConfigurator endpoint, IPartitioner partitioner) : IWarehouseStepVisitor
    {
        public void Visit<T>(WarehouseStep step, Func<T, Guid> fulfillmentId)
            where T : class => endpoint.UsePartitioner<T>(partitioner, c => fulfillmentId(c.Message));
    }
}
