using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OrderFulfillment.Persistence.Inbox;
using OrderFulfillment.Persistence.Sagas;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// The consume context a consumer or saga sees inside the outbox transaction: what it publishes or sends is
/// collected, and written to the outbox table with the consumer's own changes and the inbox row, in one SaveChanges (one
/// batch of statements) before the commit. Delivery is not done in-line: the delivery service publishes after the commit.
/// </summary>
internal sealed class TransactionalOutboxConsumeContext<TMessage>(
    ConsumeContext<TMessage> context, OutboxConsumeOptions options, IServiceProvider provider, DbContext dbContext, InboxMessage? inboxRow)
    : OutboxConsumeContextProxy<TMessage>(context, options, provider), ISavesChangesBeforeCommit
    where TMessage : class
{
    readonly List<OutboxMessage> _pending = [];
    readonly OutboxOrderingKey _orderingKey = context.GetOrAddPayload(() => new OutboxOrderingKey());
    bool _consumed;

    public int AddedMessageCount { get; private set; }

    /// <summary>This delivery repeats a message already consumed: nothing of it is committed.</summary>
    public bool IsRedelivery { get; private set; }

    public bool Committed { get; set; }

    public override bool ContinueProcessing { get; set; } = true;
    public override bool IsMessageConsumed => _consumed;
    public override bool IsOutboxDelivered => Committed;
    public override int ReceiveCount => 1;
    public override long? LastSequenceNumber => null;

    public override async Task SetConsumed()
    {
        // The saga's row and its events go in one batch. Two transactions of one saga cannot both commit out of order:
        // the later one read the row before the earlier committed, so its version check fails and it rolls back.
        lock (_pending)
        {
            dbContext.Set<OutboxMessage>().AddRange(_pending);
            AddedMessageCount = _pending.Count;
            _pending.Clear();
        }

        if (inboxRow is not null)
            dbContext.Set<InboxMessage>().Add(inboxRow);
        try
        {
            await dbContext.SaveChangesAsync(CancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException
                                                   {
                                                       SqlState: PostgresErrorCodes.UniqueViolation, TableName: InboxMessage.TableName,
                                                   })
        {
            // The first delivery committed (or was committing) while this one ran: the transaction is rolled back.
            DiscardAsRedelivery();
            return;
        }

        _consumed = true;
    }

    /// <summary>Forgets what this delivery staged: it is a redelivery, and nothing of it is committed.</summary>
    public void DiscardAsRedelivery()
    {
        lock (_pending)
            _pending.Clear();
        AddedMessageCount = 0;
        dbContext.ChangeTracker.Clear();
        _consumed = true;
        IsRedelivery = true;
    }

    public override Task SetDelivered() => Task.CompletedTask;

    public override Task<List<OutboxMessageContext>> LoadOutboxMessages() => Task.FromResult(new List<OutboxMessageContext>());

    public override Task NotifyOutboxMessageDelivered(OutboxMessageContext message) => Task.CompletedTask;

    public override Task RemoveOutboxMessages() => Task.CompletedTask;

    public override Task AddSend<T>(SendContext<T> context)
    {
        var message = OutboxMessage.From(context);
        message.OrderingKey = _orderingKey.SagaId ?? MessageId ?? message.MessageId;
        lock (_pending)
            _pending.Add(message);
        return Task.CompletedTask;
    }
}
