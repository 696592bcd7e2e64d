using System.Net.Mime;
using MassTransit;
using MassTransit.Context;
using MassTransit.Serialization;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// Sends an outbox row as the consumer sent it: its ids, addresses, message types, headers and transport properties, and
/// its body as stored, byte for byte. (MassTransit's own <c>OutboxMessageSendPipe</c> deserializes the body and
/// serializes it again at every delivery, which in this library's profile cost about as much as the consumer's own
/// serialization of the message.)
/// </summary>
internal sealed class StoredMessageSendPipe(OutboxMessage message) : IPipe<SendContext>
{
    public Task Send(SendContext context)
    {
        context.MessageId = message.MessageId;
        context.RequestId = message.RequestId;
        context.ConversationId = message.ConversationId;
        context.CorrelationId = message.CorrelationId;
        context.InitiatorId = message.InitiatorId;
        context.SourceAddress = message.SourceAddress;
        context.ResponseAddress = message.ResponseAddress;
        context.FaultAddress = message.FaultAddress;
        context.SupportedMessageTypes = message.MessageType.Split(';');
        if (message.ExpirationTime is { } expiration)
            context.TimeToLive = expiration.ToUniversalTime() - DateTime.UtcNow;

        var serializer = SystemTextJsonMessageSerializer.Instance;
        if (serializer.DeserializeDictionary<object>(message.Headers) is { } headers)
        {
            foreach (var (key, value) in headers)
                context.Headers.Set(key, value);
        }

        if (context is TransportSendContext transport && serializer.DeserializeDictionary<object>(message.Properties) is { Count: > 0 } properties)
            transport.ReadPropertiesFrom(properties);

        context.Serializer = new CopyBodySerializer(new ContentType(message.ContentType), new StringMessageBody(message.Body));
        return Task.CompletedTask;
    }

    public void Probe(ProbeContext context)
    {
    }
}
