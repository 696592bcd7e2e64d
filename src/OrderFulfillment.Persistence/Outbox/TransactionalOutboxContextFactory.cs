using System.Data;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Persistence.Inbox;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// Runs one consumed message in one database transaction: the inbox row (its message id, so a redelivery is seen),
/// the consumer's or saga's changes, and the outbox rows of what it published. Nothing is published before the commit.
/// </summary>
/// <remarks>
/// The inbox row is written in the same batch as the changes, not before the consumer runs: a message is consumed once
/// whatever happens, because a second delivery of a committed message conflicts on the inbox key when it saves (or, if
/// its consumer fails first, is found in the inbox), and its transaction is rolled back instead of committed. A
/// redelivery costs one wasted consume; every first delivery saves the round trip of a separate inbox statement.
/// </remarks>
internal sealed class TransactionalOutboxContextFactory<TDbContext>(
    TDbContext dbContext, IServiceProvider provider, OutboxDeliverySignal signal, IEnumerable<IOutboxCommitObserver> commitObservers)
    : IOutboxContextFactory<TDbContext>
    where TDbContext : DbContext
{
    public async Task Send<T>(ConsumeContext<T> context, OutboxConsumeOptions consumeOptions, IPipe<OutboxConsumeContext<T>> next)
        where T : class
    {
        var messageId = InboxMessageId(context);
        var inboxRow = messageId is null
            ? null
            : new InboxMessage { MessageId = messageId, ConsumerId = consumeOptions.ConsumerId, ReceivedAt = DateTimeOffset.UtcNow };
        var outboxContext = new TransactionalOutboxConsumeContext<T>(context, consumeOptions, provider, dbContext, inboxRow).WithOutboxScheduler();

        ExceptionDispatchInfo? failure = null;
        // One transaction for the whole message: a failure rolls all of it back, so EF Core's savepoint around each
        // SaveChanges would only cost two statements per save.
        dbContext.Database.AutoSavepointsEnabled = false;
        await using (var transaction = await dbContext.Database
                         .BeginTransactionAsync(IsolationLevel.ReadCommitted, context.CancellationToken).ConfigureAwait(false))
        {
            try
            {
                await next.Send(outboxContext).ConfigureAwait(false);
            }
            catch (Exception exception) when (inboxRow is not null)
            {
                failure = ExceptionDispatchInfo.Capture(exception);
            }

            if (failure is null && !outboxContext.IsRedelivery && !outboxContext.CommittedWithRows)
                await transaction.CommitAsync(context.CancellationToken).ConfigureAwait(false);
        }

        if (failure is not null)
        {
            // A redelivery of a message consumed before may fail where the first delivery did not (the saga has moved on).
            if (!await ConsumedBeforeAsync(inboxRow!, context.CancellationToken).ConfigureAwait(false))
                failure.Throw();
            outboxContext.DiscardAsRedelivery();
        }

        outboxContext.Committed = true;
        if (outboxContext.AddedMessageCount > 0)
        {
            foreach (var observer in commitObservers)
                observer.OnCommitted();
            signal.Notify();
        }

        if (outboxContext.EarliestScheduled is { } due)
            signal.ScheduledFor(due);

        // The pipe now finds the message consumed and its outbox handed to delivery: it completes the receive.
        while (outboxContext.ContinueProcessing)
            await next.Send(outboxContext).ConfigureAwait(false);
    }

    // The inbox column's width; a longer producer id is kept as its hash.
    const int MaxMessageIdLength = 256;

    public void Probe(ProbeContext context) => context.Add("provider", "postgresql-transactional-outbox");

    Task<bool> ConsumedBeforeAsync(InboxMessage inboxRow, CancellationToken cancellationToken) =>
        dbContext.Set<InboxMessage>().AsNoTracking()
            .AnyAsync(x => x.MessageId == inboxRow.MessageId && x.ConsumerId == inboxRow.ConsumerId, cancellationToken);

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
