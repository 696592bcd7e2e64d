using MassTransit;
using MassTransit.Context;
using MassTransit.Serialization;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>A message published or sent while consuming, stored with the consumer's changes and delivered after the commit.</summary>
internal sealed class OutboxMessage : StoredMessage
{
    public long SequenceNumber { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    public static OutboxMessage From<T>(SendContext<T> context)
        where T : class
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException("An outbox message needs a MessageId.");
        var serializer = SystemTextJsonMessageSerializer.Instance;
        var message = new OutboxMessage
        {
            MessageId = messageId,
            ConversationId = context.ConversationId,
            CorrelationId = context.CorrelationId,
            InitiatorId = context.InitiatorId,
            RequestId = context.RequestId,
            SourceAddress = context.SourceAddress,
            DestinationAddress = context.DestinationAddress,
            ResponseAddress = context.ResponseAddress,
            FaultAddress = context.FaultAddress,
            SentTime = context.SentTime ?? DateTime.UtcNow,
            ContentType = (context.ContentType ?? context.Serialization.DefaultContentType).ToString(),
            MessageType = string.Join(";", context.SupportedMessageTypes),
            Body = context.Serializer.GetMessageBody(context).GetString(),
            Headers = serializer.SerializeDictionary(context.Headers.GetAll()),
            TraceParent = OutboxTracing.CurrentTraceParent(),
        };
        if (context.TimeToLive.HasValue)
            message.ExpirationTime = DateTime.UtcNow + context.TimeToLive.Value;
        if (context is TransportSendContext<T> transportContext)
        {
            var properties = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            transportContext.WritePropertiesTo(properties);
            // A delay is kept by the outbox (a scheduled row), never passed to the broker: RabbitMQ would need its
            // delayed-exchange plugin, which is not there.
            properties.Remove(nameof(SendContext.Delay));
            message.Properties = serializer.SerializeDictionary(properties);
        }

        return message;
    }
}
