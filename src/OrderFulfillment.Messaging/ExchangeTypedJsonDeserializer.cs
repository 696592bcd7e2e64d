using System.Net.Mime;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Context;
using MassTransit.Serialization;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Messaging;

/// <summary>
/// Plain JSON (<c>application/json</c>, no envelope) carries no message type, so MassTransit's raw deserializer offers
/// it to every consumer of the endpoint. This names the type from the exchange the message came through
/// (<see cref="ArrivalExchange"/>: for a replayed message, where it first arrived), so a plain message reaches only the
/// consumer of its own type.
/// </summary>
public sealed class ExchangeTypedJsonSerializerFactory : ISerializerFactory
{
    readonly SystemTextJsonRawMessageSerializerFactory _raw = new(RawSerializerOptions.AnyMessageType);

    public ContentType ContentType => _raw.ContentType;

    public IMessageSerializer CreateSerializer() => _raw.CreateSerializer();

    public IMessageDeserializer CreateDeserializer() => new ExchangeTypedJsonDeserializer(_raw.CreateDeserializer());

    sealed class ExchangeTypedJsonDeserializer(IMessageDeserializer inner) : IMessageDeserializer
    {
        public ContentType ContentType => inner.ContentType;

        public void Probe(ProbeContext context) => inner.Probe(context);

        public ConsumeContext Deserialize(ReceiveContext receiveContext)
        {
            var context = inner.Deserialize(receiveContext);
            var exchange = receiveContext.GetArrivalExchange();
            if (exchange is null || !ContractExchanges.ByExchange.TryGetValue(exchange, out var messageType))
                throw new System.Runtime.Serialization.SerializationException(
                    $"A plain JSON message arrived through exchange '{exchange ?? "(none)"}', which names no contract message type");
            return new SingleTypeConsumeContext(context, messageType);
        }

        public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) =>
            inner.Deserialize(body, headers, destinationAddress);

        public MessageBody GetMessageBody(string text) => inner.GetMessageBody(text);
    }

    /// <summary>Offers the message as its one contract type only.</summary>
    sealed class SingleTypeConsumeContext(ConsumeContext context, Type messageType) : ConsumeContextProxy(context)
    {
        public override IEnumerable<string> SupportedMessageTypes => [MessageUrn.ForTypeString(messageType)];

        public override bool HasMessageType(Type type) => type == messageType && base.HasMessageType(type);

        public override bool TryGetMessage<T>(out ConsumeContext<T> consumeContext)
        {
            if (typeof(T) == messageType)
                return base.TryGetMessage(out consumeContext);
            consumeContext = null!;
            return false;
        }
    }
}
