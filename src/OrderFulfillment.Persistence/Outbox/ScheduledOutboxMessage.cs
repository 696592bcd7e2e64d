namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// A message sent for later (a saga's <c>Schedule</c>), stored with the consumer's changes. When <see cref="DeliverAt"/>
/// has passed, the delivery service moves it into the outbox, which publishes it; cancelling deletes the row.
/// </summary>
internal sealed class ScheduledOutboxMessage : StoredMessage
{
    /// <summary>The scheduling token: what a cancellation names, and what the delivered message carries in <c>MT-Scheduling-TokenId</c>.</summary>
    public Guid TokenId { get; set; }
    public DateTimeOffset DeliverAt { get; set; }

    public static ScheduledOutboxMessage From(OutboxMessage message, Guid tokenId, DateTimeOffset deliverAt) => new()
    {
        TokenId = tokenId,
        DeliverAt = deliverAt,
        MessageId = message.MessageId,
        OrderingKey = message.OrderingKey,
        ConversationId = message.ConversationId,
        CorrelationId = message.CorrelationId,
        InitiatorId = message.InitiatorId,
        RequestId = message.RequestId,
        SourceAddress = message.SourceAddress,
        DestinationAddress = message.DestinationAddress,
        ResponseAddress = message.ResponseAddress,
        FaultAddress = message.FaultAddress,
        SentTime = message.SentTime,
        ExpirationTime = message.ExpirationTime,
        ContentType = message.ContentType,
        MessageType = message.MessageType,
        Body = message.Body,
        Headers = message.Headers,
        Properties = message.Properties,
        TraceParent = message.TraceParent,
    };
}
