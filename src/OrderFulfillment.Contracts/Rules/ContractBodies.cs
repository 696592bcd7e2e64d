using System.Text.Json;

namespace OrderFulfillment.Contracts;

/// <summary>The contract's bodies are UTF-8 JSON: what the services check on arrival and the tools show of a body that is not.</summary>
public static class ContractBodies
{
    /// <summary>How many bytes at the start of <paramref name="body"/> are whole, valid UTF-8 characters (all of it when the body is valid).</summary>
    public static int ValidUtf8PrefixLength(ReadOnlySpan<byte> body)
    {
        if (System.Text.Unicode.Utf8.IsValid(body))
            return body.Length;
        var length = 0;
        while (length < body.Length && System.Text.Rune.DecodeFromUtf8(body[length..], out _, out var consumed) == System.Buffers.OperationStatus.Done)
            length += consumed;
        return length;
    }

    /// <summary>
    /// The contract message in a body: the body itself (plain JSON, as producers publish), or the <c>message</c> of a
    /// MassTransit envelope, with the envelope's <c>messageId</c> and first <c>messageType</c>. A body that is not JSON
    /// gives an undefined message, and nothing is thrown: the body may be the reason a message failed.
    /// </summary>
    public static ContractBody Read(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                var type = root.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array
                    ? types.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String ? t.GetString() : null).FirstOrDefault()
                    : null;
                var id = root.TryGetProperty("messageId", out var messageId) && messageId.ValueKind == JsonValueKind.String ? messageId.GetString() : null;
                return new ContractBody(message.Clone(), id, type);
            }

            return new ContractBody(root.Clone(), null, null);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            return default;
        }
    }
}

/// <summary>A body's contract message, and the envelope it came in, if any.</summary>
public readonly record struct ContractBody(JsonElement Message, string? EnvelopeMessageId, string? EnvelopeMessageType);
