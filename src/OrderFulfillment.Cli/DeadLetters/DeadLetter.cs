using System.Globalization;
using System.Text;
using System.Text.Json;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Contracts;
using RabbitMQ.Client;

namespace OrderFulfillment.Cli.DeadLetters;

/// <summary>
/// One message in an error queue, read from its headers (the reason MassTransit recorded, the exchange it first came
/// through) and its body, which may be plain JSON or a MassTransit envelope whose <c>message</c> field holds the body.
/// </summary>
public sealed record DeadLetter
{
    public const string ExceptionTypeHeader = "MT-Fault-ExceptionType";
    public const string FaultMessageHeader = "MT-Fault-Message";
    public const string FaultMessageTypeHeader = "MT-Fault-MessageType";
    public const string OriginalExchangeHeader = "OF-Original-Exchange";
    public const string ReplayCountHeader = "OF-Replay-Count";

    public required string Queue { get; init; }
    public string? MessageId { get; init; }

    /// <summary>The contract exchange the message belongs to (what it is): <c>warehouse.picked</c>, <c>delivery.confirmed</c> …</summary>
    public string? MessageType { get; init; }

    public string? ExceptionType { get; init; }
    public string? FaultMessage { get; init; }
    public string? OrderId { get; init; }
    public Guid? FulfillmentId { get; init; }
    public int ReplayCount { get; init; }

    /// <summary>The contract body (the envelope's <c>message</c>), or default when the body is not JSON.</summary>
    public JsonElement Body { get; init; }

    /// <summary>The exception's name without its namespace: <c>UnknownFulfillmentException</c>.</summary>
    public string ShortExceptionType => ExceptionType is null ? "(no reason recorded)" : ExceptionType[(ExceptionType.LastIndexOfAny(['.', '+']) + 1)..];

    public string Reason => FaultMessage is null ? ShortExceptionType : $"{ShortExceptionType}: {FaultMessage}";

    public static DeadLetter FromAmqp(string queue, IReadOnlyBasicProperties properties, ReadOnlySpan<byte> body)
    {
        var headers = properties.Headers ?? new Dictionary<string, object?>();
        return Create(queue, name => headers.TryGetValue(name, out var value) ? HeaderText(value) : null, properties.MessageId, body);
    }

    /// <summary>From a message as the management API's <c>/get</c> returns it.</summary>
    public static DeadLetter FromManagement(string queue, JsonElement message)
    {
        var properties = message.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var headers = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object
            ? h
            : default;
        var payload = message.TryGetProperty("payload", out var text) ? text.GetString() ?? "" : "";
        var bytes = message.TryGetProperty("payload_encoding", out var encoding) && encoding.GetString() == "base64"
            ? Convert.FromBase64String(payload)
            : Encoding.UTF8.GetBytes(payload);
        string? Header(string name) =>
            headers.ValueKind == JsonValueKind.Object && headers.TryGetProperty(name, out var value)
                ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.ToString()
                : null;
        var messageId = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty("message_id", out var id) ? id.GetString() : null;
        return Create(queue, Header, messageId, bytes);
    }

    static DeadLetter Create(string queue, Func<string, string?> header, string? messageId, ReadOnlySpan<byte> body)
    {
        var (contract, envelopeId, envelopeType) = ReadBody(body);
        return new DeadLetter
        {
            Queue = queue,
            MessageId = messageId ?? header("MessageId") ?? envelopeId,
            MessageType = header(OriginalExchangeHeader) ?? ExchangeOf(envelopeType) ?? ExchangeOf(header(FaultMessageTypeHeader)),
            ExceptionType = header(ExceptionTypeHeader),
            FaultMessage = header(FaultMessageHeader),
            OrderId = contract.Text("orderId"),
            FulfillmentId = Guid.TryParse(contract.Text("fulfillmentId"), out var fulfillmentId) ? fulfillmentId : null,
            ReplayCount = int.TryParse(header(ReplayCountHeader), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : 0,
            Body = contract,
        };
    }

    static (JsonElement Contract, string? EnvelopeId, string? EnvelopeType) ReadBody(ReadOnlySpan<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                var type = root.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array
                    ? types.EnumerateArray().Select(t => t.GetString()).FirstOrDefault()
                    : null;
                return (message.Clone(), root.Text("messageId"), type);
            }

            return (root.Clone(), null, null);
        }
        catch (JsonException)
        {
            return (default, null, null);
        }
    }

    /// <summary>The exchange of a contract type, named as MassTransit names it: <c>urn:message:OrderFulfillment.Contracts:WarehousePicked</c> or a full type name.</summary>
    static string? ExchangeOf(string? typeName)
    {
        if (typeName is null)
            return null;
        var name = typeName[(typeName.LastIndexOfAny([':', '.']) + 1)..];
        return ContractExchanges.ByType.FirstOrDefault(pair => pair.Key.Name == name).Value;
    }

    /// <summary>AMQP header values arrive as bytes (long strings), numbers or lists.</summary>
    static string? HeaderText(object? value) => value switch
    {
        null => null,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}

/// <summary>Error queue names: MassTransit's <c>&lt;queue&gt;_error</c>.</summary>
public static class ErrorQueues
{
    public const string Suffix = "_error";

    public static bool IsErrorQueue(string name) => name.EndsWith(Suffix, StringComparison.Ordinal) && name.Length > Suffix.Length;

    /// <summary>The queue a dead-lettered message came from, and goes back to: <c>fulfillment_error</c> → <c>fulfillment</c>.</summary>
    public static string SourceOf(string errorQueue) => errorQueue[..^Suffix.Length];
}
