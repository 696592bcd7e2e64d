using System.Text.Json;

namespace OrderFulfillment.Messaging;

/// <summary>
/// The order and fulfillment a dead-lettered body is about, read leniently: the body may be the reason it failed (not
/// JSON, not UTF-8), and then nothing is found, and nothing is thrown.
/// </summary>
public readonly record struct DeadLetterSubject(string? OrderId, string? FulfillmentId)
{
    public static DeadLetterSubject Find(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
                root = message;
            if (root.ValueKind != JsonValueKind.Object)
                return default;
            return new DeadLetterSubject(Text(root, "orderId"), Text(root, "fulfillmentId"));
        }
        catch (JsonException)
        {
            return default;
        }
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
