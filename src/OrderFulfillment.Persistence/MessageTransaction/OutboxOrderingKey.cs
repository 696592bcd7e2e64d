namespace OrderFulfillment.Persistence.MessageTransaction;

/// <summary>
/// What the messages of one consumed message are ordered by: the saga instance that published them, when a saga did,
/// so that a saga's events are delivered in the order it committed them. Set by the saga repository (or by <see cref="TransactionalOutboxEndpoint.OrderOutboxBy"/>), read by the outbox.
/// </summary>
internal sealed class OutboxOrderingKey
{
    public Guid? SagaId { get; set; }
}
