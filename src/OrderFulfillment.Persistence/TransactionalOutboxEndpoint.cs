using MassTransit;
using MassTransit.Configuration;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Persistence.MessageTransaction;

namespace OrderFulfillment.Persistence;

/// <summary>The transactional outbox on a receive endpoint: opting its consumers and sagas in, and ordering what a consumer publishes.</summary>
public static class TransactionalOutboxEndpoint
{
    /// <summary>
    /// Runs every consumer and saga of the endpoint inside the transactional outbox: one transaction holds the inbox row,
    /// the changes and the outbox rows. Put retries before this call, so that each attempt gets a fresh scope and transaction.
    /// It is also the endpoint's message scheduler: a saga's <c>Schedule(...)</c> writes its message to
    /// <see cref="TransactionalOutboxTables.OutboxScheduledMessage"/> in the same transaction, delivery sends it once it is due (from any instance, once),
    /// and <c>Unschedule(...)</c> deletes it in the transaction that cancels it. No scheduler add-on or broker plugin is needed.
    /// </summary>
    public static void UseTransactionalOutbox<TDbContext>(this IReceiveEndpointConfigurator configurator, IRegistrationContext context)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(configurator);
        var observer = new OutboxConsumePipeSpecificationObserver<TDbContext>(configurator, context);
        configurator.ConnectConsumerConfigurationObserver(observer);
        configurator.ConnectSagaConfigurationObserver(observer);
    }

    /// <summary>
    /// Orders what this consumer publishes from now on by <paramref name="key"/>: the outbox delivers messages with one key
    /// in the order they were committed. A saga's messages are keyed by its instance already; a consumer that changes
    /// several instances calls this before publishing for each.
    /// </summary>
    public static void OrderOutboxBy(this ConsumeContext context, Guid key)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TryGetPayload(out OutboxOrderingKey? orderingKey))
            orderingKey.SagaId = key;
    }
}
