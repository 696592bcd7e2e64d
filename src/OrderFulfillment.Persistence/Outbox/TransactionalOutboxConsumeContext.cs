using MassTransit;
using MassTransit.Middleware;
using MassTransit.Context;
using MassTransit.Middleware.Outbox;
using MassTransit.Scheduling;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OrderFulfillment.Persistence.Inbox;
using OrderFulfillment.Persistence.MessageTransaction;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// The consume context a consumer or saga sees inside the outbox transaction: what it publishes or sends is
/// collected, and written to the outbox table with the consumer's own changes and the inbox row, in one SaveChanges (one
/// batch of statements) before the commit. Delivery is not done in-line: the delivery service publishes after the commit.
/// A send with a delay (a saga's <c>Schedule</c>, through the <see cref="MessageSchedulerContext"/> this context provides)
/// is stored as a scheduled row instead, and a cancellation deletes it, both in the same transaction.
/// </summary>
internal sealed class TransactionalOutboxConsumeContext<TMessage>(
    ConsumeContext<TMessage> context, OutboxConsumeOptions options, IServiceProvider provider, DbContext dbContext, InboxMessage? inboxRow)
    : OutboxConsumeContextProxy<TMessage>(context, options, provider), ISavesChangesBeforeCommit, IScheduledOutbox
    where TMessage : class
{
    readonly List<OutboxMessage> _pending = [];
    readonly List<ScheduledOutboxMessage> _scheduled = [];
    readonly OutboxOrderingKey _orderingKey = context.GetOrAddPayload(() => new OutboxOrderingKey());
    bool _consumed;

    /// <summary>Makes this context the scheduler of whatever it consumes (replacing one the endpoint may have set).</summary>
    public TransactionalOutboxConsumeContext<TMessage> WithOutboxScheduler()
    {
        MessageSchedulerContext Create() => new ConsumeMessageSchedulerContext(this,
            c => new MessageScheduler(new OutboxScheduleMessageProvider(this, this), c.GetPayload<IBusTopology>()));
        CapturedContext.AddOrUpdatePayload(Create, _ => Create());
        return this;
    }

    public int AddedMessageCount { get; private set; }

    /// <summary>When the earliest message this consumer scheduled is due, so that delivery wakes for it on time.</summary>
    public DateTimeOffset? EarliestScheduled { get; private set; }

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
            dbContext.Set<ScheduledOutboxMessage>().AddRange(_scheduled);
            EarliestScheduled = _scheduled.Count == 0 ? null : _scheduled.Min(m => m.DeliverAt);
            _scheduled.Clear();
        }

        if (inboxRow is not null)
            dbContext.Set<InboxMessage>().Add(inboxRow);
        try
        {
            await dbContext.SaveChangesAsync(CancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException
        {
            SqlState: PostgresErrorCodes.UniqueViolation, TableName: TransactionalOutboxTables.InboxMessage,
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
        {
            _pending.Clear();
            _scheduled.Clear();
        }

        AddedMessageCount = 0;
        EarliestScheduled = null;
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
        {
            if (context.Delay is { } delay && delay > TimeSpan.Zero)
                _scheduled.Add(ScheduledOutboxMessage.From(message, context.ScheduledMessageId ?? message.MessageId, DateTimeOffset.UtcNow + delay));
            else
                _pending.Add(message);
        }

        return Task.CompletedTask;
    }

    public async Task CancelScheduledAsync(Guid tokenId, CancellationToken cancellationToken)
    {
        lock (_pending)
        {
            if (_scheduled.RemoveAll(m => m.TokenId == tokenId) > 0)
                return;
        }

        // In the consumer's transaction: rolled back with it. A row already moved to the outbox is delivered; the saga
        // ignores it, since the token it carries is no longer the saga's.
        await dbContext.Database.ExecuteSqlRawAsync(
            $"DELETE FROM {TransactionalOutboxTables.OutboxScheduledMessage} WHERE token_id = {{0}}", [tokenId], cancellationToken).ConfigureAwait(false);
    }
}
