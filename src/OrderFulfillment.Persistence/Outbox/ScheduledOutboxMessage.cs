namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// A message sent for later (a saga's <c>Schedule</c>), stored with the consumer's changes. When <see cref="DeliverAt"/>
/// has passed, the delivery service moves it into the outbox, which publishes it; cancelling deletes the row.
/// </summary>
internal sealed class ScheduledOutboxMessage
{
    /// <summary>The scheduling token: what a cancellation names, and what the delivered message carries in <c>MT-Scheduling-TokenId</c>.</summary>
    public Guid TokenId { get; set; }
    public DateTimeOffset DeliverAt { get; set; }
    public Guid MessageId { get; set; }
    public Guid OrderingKey { get; set; }
    public Guid? ConversationId { get; set; }
    public Guid? CorrelationId { get; set; }
    public Guid? InitiatorId { get; set; }
    public Guid? RequestId { get; set; }
    public Uri? SourceAddress { get; set; }
    public Uri? DestinationAddress { get; set; }
    public Uri? ResponseAddress { get; set; }
    public Uri? FaultAddress { get; set; }
    public DateTime SentTime { get; set; }
    public DateTime? ExpirationTime { get; set; }
    public required string ContentType { get; set; }
    public required string MessageType { get; set; }
    public required string Body { get; set; }
    public string? Headers { get; set; }
    public string? Properties { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

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
    };
}
