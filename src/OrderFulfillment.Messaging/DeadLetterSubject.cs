using System.Text.Json;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Messaging;

/// <summary>
/// The order and fulfillment a dead-lettered body is about, read leniently: the body may be the reason it failed (not
/// JSON, not UTF-8), and then nothing is found, and nothing is thrown.
/// </summary>
public readonly record struct DeadLetterSubject(string? OrderId, string? FulfillmentId)
{
    public static DeadLetterSubject Find(ReadOnlySpan<byte> body)
    {
        var message = ContractBodies.Read(body).Message;
        return message.ValueKind == JsonValueKind.Object ? new DeadLetterSubject(Text(message, "orderId"), Text(message, "fulfillmentId")) : default;
    }

    static string? Text(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
            return null;
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // a string that is not valid UTF-8 cannot be read as text
        }
    }
}
