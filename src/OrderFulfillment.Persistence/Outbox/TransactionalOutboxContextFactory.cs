using System.Data;
using System.Security.Cryptography;
using System.Text;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// Runs one consumed message in one database transaction: the inbox row (its message id, so a redelivery is seen),
/// the consumer's or saga's changes, and the outbox rows of what it published. Nothing is published before the commit.
/// </summary>
internal sealed class TransactionalOutboxContextFactory<TDbContext>(
    TDbContext dbContext, IServiceProvider provider, OutboxDeliverySignal signal, IOptions<TransactionalOutboxOptions> options)
    : IOutboxContextFactory<TDbContext>
    where TDbContext : DbContext
{
    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions consumeOptions, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        var messageId = InboxMessageId(context);

        TransactionalOutboxConsumeContext<T> outboxContext;
        // One transaction for the whole message: a failure rolls all of it back, so EF Core's savepoint around each
        // SaveChanges would only cost two statements per save.
        dbContext.Database.AutoSavepointsEnabled = false;
        await using (var transaction = await dbContext.Database
                         .BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken).ConfigureAwait(false))
        {
            var firstDelivery = messageId is null ||
                                await RecordInInboxAsync(messageId, consumeOptions.ConsumerId, context.CancellationToken).ConfigureAwait(false);

            outboxContext = new TransactionalOutboxConsumeContext<T>(context, consumeOptions, provider, dbContext, alreadyConsumed: !firstDelivery);
            if (firstDelivery)
                await next.Send(outboxContext).ConfigureAwait(false);

            await transaction.CommitAsync(context.CancellationToken).ConfigureAwait(false);
        }

        outboxContext.Committed = true;
        if (outboxContext.AddedMessageCount > 0)
        {
            options.Value.AfterCommit?.Invoke();
            signal.Notify();
        }

        // The pipe now finds the message consumed and its outbox handed to delivery: it completes the receive.
        while (outboxContext.ContinueProcessing)
            await next.Send(outboxContext).ConfigureAwait(false);
    }

    // The inbox column's width; a longer producer id is kept as its hash.
    const int MaxMessageIdLength = 256;

    public void Probe(ProbeContext context) => context.Add("provider", "postgresql-transactional-outbox");

    async Task<bool> RecordInInboxAsync(string messageId, Guid consumerId, CancellationToken cancellationToken)
    {
        // A concurrent delivery of the same id waits here for the first transaction, then sees the conflict.
        var inserted = await dbContext.Database.ExecuteSqlAsync(
            $"INSERT INTO inbox_message (message_id, consumer_id, received_at) VALUES ({messageId}, {consumerId}, now()) ON CONFLICT DO NOTHING",
            cancellationToken).ConfigureAwait(false);
        return inserted == 1;
    }

    /// <summary>
    /// The id a redelivery is recognised by: the AMQP message_id property as the producer set it (any string, not only
    /// a GUID), else the MassTransit envelope's messageId. A message with neither is not deduplicated by the inbox.
    /// </summary>
    static string? InboxMessageId(ConsumeContext context)
    {
        if (context.ReceiveContext.TransportHeaders.TryGetHeader("MessageId", out var value) && value is string { Length: > 0 } raw)
            return raw.Length <= MaxMessageIdLength ? raw : "sha256:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(raw)));
        return context.MessageId?.ToString();
    }
}
