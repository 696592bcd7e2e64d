using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using OrderFulfillment.Contracts;
using OrderFulfillment.Operations.Connections;
using RabbitMQ.Client;

namespace OrderFulfillment.Operations.DeadLetters;

/// <summary>
/// One message in an error queue, read from its headers (the reason MassTransit recorded, the exchange it first came
/// through) and its body, which may be plain JSON or a MassTransit envelope whose <c>message</c> field holds the body.
/// </summary>
public sealed record DeadLetter
{
    public const string ExceptionTypeHeader = "MT-Fault-ExceptionType";
    public const string FaultMessageHeader = "MT-Fault-Message";
    public const string FaultMessageTypeHeader = "MT-Fault-MessageType";
    public const string FaultTimestampHeader = "MT-Fault-Timestamp";
    public const string FaultStackTraceHeader = "MT-Fault-StackTrace";

    /// <summary>Why RabbitMQ itself dead-lettered the message (<c>delivery_limit</c>, <c>rejected</c>, <c>expired</c>, <c>maxlen</c>).</summary>
    public const string BrokerDeathReasonHeader = "x-first-death-reason";

    /// <summary>The queue RabbitMQ dead-lettered the message from.</summary>
    public const string BrokerDeathQueueHeader = "x-first-death-queue";

    public required string Queue { get; init; }
    public string? MessageId { get; init; }

    /// <summary>The contract exchange the message belongs to (what it is): <c>warehouse.picked</c>, <c>delivery.confirmed</c> …</summary>
    public string? MessageType { get; init; }

    public string? ExceptionType { get; init; }
    public string? FaultMessage { get; init; }
    public string? OrderId { get; init; }
    public Guid? FulfillmentId { get; init; }
    public int ReplayCount { get; init; }

    /// <summary>The contract body (the envelope's <c>message</c>), or default when the body is not UTF-8 JSON.</summary>
    public JsonElement Body { get; init; }

    /// <summary>The body as it is in the queue, byte for byte.</summary>
    public ReadOnlyMemory<byte> RawBody { get; init; }

    /// <summary>Every header, as text, in the order the broker gave them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public string? ContentType { get; init; }

    /// <summary>When it failed (<c>MT-Fault-Timestamp</c>), when recorded.</summary>
    public DateTimeOffset? FailedAt { get; init; }

    public string? StackTrace { get; init; }

    /// <summary>
    /// Names the message within its queue: its message id, or, without one, a hash of its body (two identical bodies
    /// without ids are then one selection).
    /// </summary>
    public string Key => MessageId ?? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(RawBody.Span))[..16];

    /// <summary>
    /// The body as text for people: indented JSON, or, where it is not valid UTF-8, the text with every byte that is
    /// not valid UTF-8 shown as <c>\xNN</c>.
    /// </summary>
    public string BodyText => RawBodyText(RawBody.Span, Body);

    /// <summary>The exception's name without its namespace: <c>UnknownFulfillmentException</c>.</summary>
    public string ShortExceptionType => ExceptionType is null ? "(no reason recorded)" : ExceptionType[(ExceptionType.LastIndexOfAny(['.', '+']) + 1)..];

    public string Reason => FaultMessage is null ? ShortExceptionType : $"{ShortExceptionType}: {FaultMessage}";

    public static DeadLetter FromAmqp(string queue, IReadOnlyBasicProperties properties, ReadOnlySpan<byte> body)
    {
        var headers = (properties.Headers ?? new Dictionary<string, object?>())
            .Select(h => new KeyValuePair<string, string>(h.Key, HeaderText(h.Value) ?? "")).ToList();
        return Create(queue, headers, properties.MessageId, properties.ContentType, body);
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
        var headerList = headers.ValueKind == JsonValueKind.Object
            ? headers.EnumerateObject()
                .Select(h => new KeyValuePair<string, string>(h.Name, h.Value.ValueKind == JsonValueKind.String ? h.Value.GetString() ?? "" : h.Value.ToString()))
                .ToList()
            : [];
        return Create(queue, headerList, properties.Text("message_id"), properties.Text("content_type"), bytes);
    }

    static DeadLetter Create(string queue, List<KeyValuePair<string, string>> headers, string? messageId, string? contentType, ReadOnlySpan<byte> body)
    {
        string? header(string name) => headers.FirstOrDefault(h => h.Key == name).Value;
        var (contract, envelopeId, envelopeType) = ReadBody(body);
        return new DeadLetter
        {
            Queue = queue,
            RawBody = body.ToArray(),
            Headers = headers,
            ContentType = contentType,
            FailedAt = DateTimeOffset.TryParse(header(FaultTimestampHeader), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null,
            StackTrace = header(FaultStackTraceHeader),
            MessageId = messageId ?? header("MessageId") ?? envelopeId,
            MessageType = header(ContractHeaders.OriginalExchange) ?? header("x-first-death-exchange") ?? ExchangeOf(envelopeType) ?? ExchangeOf(header(FaultMessageTypeHeader)),
            // A message the broker dead-lettered by itself (a quorum queue's delivery-limit) has no MassTransit reason, only x-death.
            ExceptionType = header(ExceptionTypeHeader) ?? (header(BrokerDeathReasonHeader) is { } death ? $"x-death {death}" : null),
            FaultMessage = header(FaultMessageHeader) ?? (header(BrokerDeathReasonHeader) is { } reason
                ? $"dead-lettered by RabbitMQ from {header(BrokerDeathQueueHeader) ?? "its queue"} ({reason})"
                : null),
            OrderId = contract.Text("orderId"),
            FulfillmentId = Guid.TryParse(contract.Text("fulfillmentId"), out var fulfillmentId) ? fulfillmentId : null,
            ReplayCount = int.TryParse(header(ContractHeaders.ReplayCount), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : 0,
            Body = contract,
        };
    }

    static (JsonElement Contract, string? EnvelopeId, string? EnvelopeType) ReadBody(ReadOnlySpan<byte> body)
    {
        // A JSON string holding bytes that are not UTF-8 parses, and then throws when it is read: such a body is not JSON.
        if (!Utf8.IsValid(body))
            return (default, null, null);
        var read = ContractBodies.Read(body);
        return (read.Message, read.EnvelopeMessageId, read.EnvelopeMessageType);
    }

    /// <summary>The exchange of a contract type, named as MassTransit names it: <c>urn:message:OrderFulfillment.Contracts:WarehousePicked</c> or a full type name.</summary>
    static string? ExchangeOf(string? typeName)
    {
        if (typeName is null)
            return null;
        var name = typeName[(typeName.LastIndexOfAny([':', '.']) + 1)..];
        return ContractExchanges.ByType.FirstOrDefault(pair => pair.Key.Name == name).Value;
    }

    static string RawBodyText(ReadOnlySpan<byte> body, JsonElement contract)
    {
        if (Utf8.IsValid(body))
        {
            if (contract.ValueKind == JsonValueKind.Undefined)
                return Encoding.UTF8.GetString(body);
            try
            {
                using var document = JsonDocument.Parse(body.ToArray());
                return JsonSerializer.Serialize(document.RootElement, Json.Indented);
            }
            catch (JsonException)
            {
                return Encoding.UTF8.GetString(body);
            }
        }

        var text = new StringBuilder(body.Length);
        while (!body.IsEmpty)
        {
            var valid = ContractBodies.ValidUtf8PrefixLength(body);
            text.Append(Encoding.UTF8.GetString(body[..valid]));
            body = body[valid..];
            if (!body.IsEmpty)
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{body[0]:X2}");
                body = body[1..];
            }
        }

        return text.ToString();
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

/// <summary>
/// Error queue names: MassTransit's <c>&lt;queue&gt;_error</c> (failed), and <c>&lt;queue&gt;_skipped</c> (no consumer
/// on the queue took the message).
/// </summary>
public static class ErrorQueues
{
    public const string Suffix = "_error";
    public const string SkippedSuffix = "_skipped";

    public static bool IsErrorQueue(string name) => name.EndsWith(Suffix, StringComparison.Ordinal) && name.Length > Suffix.Length;

    public static bool IsSkippedQueue(string name) => name.EndsWith(SkippedSuffix, StringComparison.Ordinal) && name.Length > SkippedSuffix.Length;

    /// <summary>Either kind: what the console lists as failed messages.</summary>
    public static bool IsDeadLetterQueue(string name) => IsErrorQueue(name) || IsSkippedQueue(name);

    /// <summary>The queue a dead-lettered message came from, and goes back to: <c>fulfillment_error</c> → <c>fulfillment</c>.</summary>
    public static string SourceOf(string errorQueue) =>
        IsSkippedQueue(errorQueue) ? errorQueue[..^SkippedSuffix.Length] : errorQueue[..^Suffix.Length];
}
