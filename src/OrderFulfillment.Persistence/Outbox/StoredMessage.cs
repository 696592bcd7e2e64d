namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// What the outbox keeps of a message to send it later exactly as it was sent: ids, addresses, body, headers and
/// transport properties. A row of <see cref="TransactionalOutboxTables.OutboxMessage"/> (to deliver now) or of
/// <see cref="TransactionalOutboxTables.OutboxScheduledMessage"/> (to deliver when due); mapped once for both.
/// </summary>
internal abstract class StoredMessage
{
    public Guid MessageId { get; set; }

    /// <summary>Messages with the same key are delivered one after another, in sequence order (see <see cref="MessageTransaction.OutboxOrderingKey"/>).</summary>
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

    /// <summary>The W3C <c>traceparent</c> of the span that published the message, restored on delivery (<see cref="OutboxTracing"/>).</summary>
    public string? TraceParent { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
