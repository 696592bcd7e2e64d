using MassTransit;

namespace OrderFulfillment.Messaging;

/// <summary>
/// What makes each message on an endpoint one transaction: the host registers one per service (Hosting's
/// <c>AddServiceOutbox</c>: the transactional outbox and inbox on the service's database, and the pause while it does not
/// answer); a harness registers its own. <see cref="ContractBusConfiguration.UseContractPipeline"/> calls it between the
/// error pipe and retry, inside the endpoint's partitioner: a filter it adds runs outside retry, and an outbox it adds to
/// the consumers and sagas runs inside retry, around each attempt.
/// </summary>
public interface IMessageTransaction
{
    void Configure(IReceiveEndpointConfigurator endpoint, IRegistrationContext context);
}
