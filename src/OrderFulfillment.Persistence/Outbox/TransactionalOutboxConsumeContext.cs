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
/// collected, and written to the outbox table with the saga's row and the inbox row, in one batch of statements that ends
/// with the COMMIT (one round trip); changes a consumer made through EF Core itself are saved just before. Delivery is not done in-line: the delivery service publishes after the commit.
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
    readonly List<RowWrite> _staged = [];
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

    /// <summary>The batch of this message's rows ended with the COMMIT: the transaction is committed already.</summary>
    public bool CommittedWithRows { get; private set; }

    public override bool ContinueProcessing { get; set; } = true;
    public override bool IsMessageConsumed => _consumed;
    public override bool IsOutboxDelivered => Committed;
    public override int ReceiveCount => 1;
    public override long? LastSequenceNumber => null;

    public override async Task SetConsumed()
    {
        // The inbox row first: a second delivery of a message being committed waits on its key, then fails on it.
        // The saga's row and its events go in the same batch. Two transactions of one saga cannot both commit out of
        // order: the later one read the row before the earlier committed, so its version check fails and it rolls back.
        var writes = new List<RowWrite>();
        if (inboxRow is not null)
            writes.Add(RowStatements.For(dbContext, typeof(InboxMessage)).Insert(inboxRow));
        lock (_pending)
        {
            writes.AddRange(_staged);
            _staged.Clear();
            var outbox = RowStatements.For(dbContext, typeof(OutboxMessage));
            writes.AddRange(_pending.Select(outbox.Insert));
            AddedMessageCount = _pending.Count;
            _pending.Clear();
            var scheduled = RowStatements.For(dbContext, typeof(ScheduledOutboxMessage));
            writes.AddRange(_scheduled.Select(scheduled.Insert));
            EarliestScheduled = _scheduled.Count == 0 ? null : _scheduled.Min(m => m.DeliverAt);
            _scheduled.Clear();
        }

        try
        {
            // A consumer that changed entities through EF Core: those go first, with SaveChanges.
            if (dbContext.ChangeTracker.HasChanges())
                await dbContext.SaveChangesAsync(CancellationToken).ConfigureAwait(false);
            if (writes.Count > 0)
            {
                await RowWrite.ExecuteAndCommitAsync(dbContext, writes, CancellationToken).ConfigureAwait(false);
                CommittedWithRows = true;
            }
        }
        catch (PostgresException exception) when (exception is { SqlState: PostgresErrorCodes.UniqueViolation, TableName: TransactionalOutboxTables.InboxMessage })
        {
            // The first delivery committed (or was committing) while this one ran: the transaction is rolled back.
            DiscardAsRedelivery();
            return;
        }

        _consumed = true;
    }

    public void Stage(RowWrite write)
    {
        lock (_pending)
            _staged.Add(write);
    }

    public void Unstage(object entity)
    {
        lock (_pending)
            _staged.RemoveAll(write => ReferenceEquals(write.Entity, entity));
    }

    /// <summary>Forgets what this delivery staged: it is a redelivery, and nothing of it is committed.</summary>
    public void DiscardAsRedelivery()
    {
        lock (_pending)
        {
            _pending.Clear();
            _scheduled.Clear();
            _staged.Clear();
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
