using MassTransit;
using MassTransit.Middleware;
using MassTransit.Middleware.Outbox;
using Microsoft.EntityFrameworkCore;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// The consume context a consumer or saga sees inside the outbox transaction: what it publishes or sends is
/// collected, and written to the outbox table after the consumer's own changes, in the same transaction.
/// Delivery is not done in-line: the delivery service publishes after the commit.
/// </summary>
internal sealed class TransactionalOutboxConsumeContext<TMessage>(
    ConsumeContext<TMessage> context, OutboxConsumeOptions options, IServiceProvider provider, DbContext dbContext, bool alreadyConsumed)
    : OutboxConsumeContextProxy<TMessage>(context, options, provider)
    where TMessage : class
{
    readonly List<OutboxMessage> _pending = [];
    readonly OutboxOrderingKey _orderingKey = context.GetOrAddPayload(() => new OutboxOrderingKey());
    bool _consumed = alreadyConsumed;

    public int AddedMessageCount { get; private set; }

    public bool Committed { get; set; }

    public override bool ContinueProcessing { get; set; } = true;
    public override bool IsMessageConsumed => _consumed;
    public override bool IsOutboxDelivered => Committed;
    public override int ReceiveCount => 1;
    public override long? LastSequenceNumber => null;

    public override async Task SetConsumed()
    {
        // Added after the consumer's own SaveChanges, so that a saga's row is written (and locked) before its events.
        lock (_pending)
        {
            dbContext.Set<OutboxMessage>().AddRange(_pending);
            AddedMessageCount = _pending.Count;
            _pending.Clear();
        }

        await dbContext.SaveChangesAsync(CancellationToken).ConfigureAwait(false);
        _consumed = true;
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
