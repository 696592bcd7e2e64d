using System.Net.Mime;
using System.Runtime.Serialization;
using MassTransit;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Messaging;

/// <summary>
/// The contract's bodies are UTF-8 JSON. System.Text.Json finds bytes that are not UTF-8 inside a string only when the
/// string is read, as an <see cref="InvalidOperationException"/> deep inside a consumer, which looks transient and is
/// retried. This checks the whole body first, so such a message is refused at once as malformed, with the offset of
/// the first bad byte in its reason.
/// </summary>
public sealed class Utf8CheckedSerializerFactory(ISerializerFactory inner) : ISerializerFactory
{
    public ContentType ContentType => inner.ContentType;

    public IMessageSerializer CreateSerializer() => inner.CreateSerializer();

    public IMessageDeserializer CreateDeserializer() => new Utf8CheckedDeserializer(inner.CreateDeserializer());

    /// <summary>Throws when the body is not valid UTF-8.</summary>
    public static void EnsureUtf8(ReadOnlySpan<byte> body)
    {
        var valid = ContractBodies.ValidUtf8PrefixLength(body);
        if (valid == body.Length)
            return;
        throw new SerializationException($"The body is not valid UTF-8: byte {valid} of {body.Length} (0x{body[valid]:X2}) starts no UTF-8 character");
    }

    sealed class Utf8CheckedDeserializer(IMessageDeserializer deserializer) : IMessageDeserializer
    {
        public ContentType ContentType => deserializer.ContentType;

        public void Probe(ProbeContext context) => deserializer.Probe(context);

        public ConsumeContext Deserialize(ReceiveContext receiveContext)
        {
            ArgumentNullException.ThrowIfNull(receiveContext);
            EnsureUtf8(receiveContext.Body.GetBytes());
            return deserializer.Deserialize(receiveContext);
        }

        public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) =>
            deserializer.Deserialize(body, headers, destinationAddress);

        public MessageBody GetMessageBody(string text) => deserializer.GetMessageBody(text);
    }
}
