using System.Text;
using OrderFulfillment.Operations.Connections;
using OrderFulfillment.Operations.DeadLetters;
using RabbitMQ.Client;

namespace OrderFulfillment.IntegrationTests.Cli;

/// <summary>The copy a replay publishes: what it keeps and what it drops (no servers needed).</summary>
[Trait("Category", "Integration")]
public sealed class DeadLetterReplayerTests
{
    [Fact]
    public void The_copy_keeps_body_properties_and_headers_but_the_fault_headers_and_counts_the_replay()
    {
        var original = new BasicProperties
        {
            ContentType = "application/json",
            MessageId = "wms-1",
            DeliveryMode = DeliveryModes.Transient,
            Headers = new Dictionary<string, object?>
            {
                ["MT-Fault-ExceptionType"] = Encoding.UTF8.GetBytes("OrderFulfillment.FulfillmentService.Fulfillments.UnknownFulfillmentException"),
                ["MT-Fault-Message"] = Encoding.UTF8.GetBytes("Unknown fulfillmentId"),
                ["MT-Fault-RetryCount"] = 3,
                ["MT-Reason"] = Encoding.UTF8.GetBytes("fault"),
                ["MT-Host-MachineName"] = Encoding.UTF8.GetBytes("vm"),
                ["OF-Original-Exchange"] = Encoding.UTF8.GetBytes("warehouse.picked"),
                ["OF-Replay-Count"] = 2,
                ["traceparent"] = Encoding.UTF8.GetBytes("00-abc-def-01"),
            },
        };

        var copy = DeadLetterReplayer.CopyForReplay(original, 3);

        Assert.Equal("application/json", copy.ContentType);
        Assert.Equal("wms-1", copy.MessageId);
        Assert.Equal(DeliveryModes.Persistent, copy.DeliveryMode);
        Assert.Equal(["MT-Host-MachineName", "OF-Original-Exchange", "OF-Replay-Count", "traceparent"], copy.Headers!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, copy.Headers["OF-Replay-Count"]);
        Assert.Equal("warehouse.picked", Encoding.UTF8.GetString((byte[])copy.Headers["OF-Original-Exchange"]!));
    }

    [Fact]
    public void A_dead_letter_is_read_from_an_envelope_or_plain_json()
    {
        var plain = DeadLetter.FromAmqp("fulfillment_error", new BasicProperties
        {
            MessageId = "wms-2",
            Headers = new Dictionary<string, object?> { ["OF-Original-Exchange"] = Encoding.UTF8.GetBytes("warehouse.picked"), ["OF-Replay-Count"] = 1 },
        }, """{ "fulfillmentId": "57c320dc-6473-50df-aea5-29051d63deff", "occurredAt": "2026-11-24T11:00:00Z" }"""u8);
        Assert.Equal(("wms-2", "warehouse.picked", 1), (plain.MessageId, plain.MessageType, plain.ReplayCount));
        Assert.Equal(Guid.Parse("57c320dc-6473-50df-aea5-29051d63deff"), plain.FulfillmentId);

        var envelope = DeadLetter.FromAmqp("order-status_error", new BasicProperties(), """
            { "messageId": "8f1e0000-0000-0000-0000-000000000001", "messageType": [ "urn:message:OrderFulfillment.Contracts:DeliveryConfirmed" ],
              "message": { "orderId": "ORD-1001", "fulfillmentId": "57c320dc-6473-50df-aea5-29051d63deff", "deliveredAt": "2026-11-26T15:00:00Z" } }
            """u8);
        Assert.Equal(("8f1e0000-0000-0000-0000-000000000001", "delivery.confirmed", "ORD-1001"), (envelope.MessageId, envelope.MessageType, envelope.OrderId));
        Assert.Equal("(no reason recorded)", envelope.ShortExceptionType);
    }

    [Fact]
    public async Task A_body_with_invalid_utf8_inside_a_json_string_is_shown_escaped_and_would_fail_again()
    {
        byte[] body = [.. """{"orderId":"X"""u8, 0xC3, .. "\",\"confirmedAt\":\"2026-11-24T10:00:00Z\",\"lines\":[]}"u8];
        var letter = DeadLetter.FromAmqp("order-status_error", new BasicProperties
        {
            MessageId = "checkout-bad-bytes",
            ContentType = "application/json",
            Headers = new Dictionary<string, object?>
            {
                ["MT-Fault-ExceptionType"] = Encoding.UTF8.GetBytes("System.Text.Json.JsonException"),
                ["OF-Original-Exchange"] = Encoding.UTF8.GetBytes("order.confirmed"),
            },
        }, body);

        Assert.Equal(("checkout-bad-bytes", "order.confirmed"), (letter.MessageId, letter.MessageType));
        Assert.Null(letter.OrderId);
        Assert.Equal("""{"orderId":"X\xC3","confirmedAt":"2026-11-24T10:00:00Z","lines":[]}""", letter.BodyText);
        Assert.Equal(body, letter.RawBody.ToArray());

        // Whatever the recorded reason, bytes that are not UTF-8 JSON fail again: the forecast asks no service.
        var unreachable = new Uri("http://127.0.0.1:9/");
        using var services = new ServiceApi(new ConnectionSettings
        {
            Host = "127.0.0.1",
            Port = 9,
            VirtualHost = "/",
            Username = "u",
            Password = "p",
            ManagementPort = 9,
            OrderService = unreachable,
            FulfillmentService = unreachable,
        });
        var outcome = await new ReplayForecaster(services).ForecastAsync(letter with { ExceptionType = null }, CancellationToken.None);
        Assert.Equal(ReplayOutcome.WouldFail, outcome.Outcome);
    }

    [Fact]
    public void A_body_with_invalid_utf8_read_through_the_management_api_is_kept_byte_for_byte()
    {
        // The management API returns a body that is not UTF-8 base64-encoded (encoding "auto").
        byte[] body = [.. "{\"fulfillmentId\":\"57c320dc-6473-50df-aea5-29051d63deff\",\"note\":\""u8, 0xFF, .. "\"}"u8];
        using var message = System.Text.Json.JsonDocument.Parse($$"""
            { "payload": "{{Convert.ToBase64String(body)}}", "payload_encoding": "base64",
              "properties": { "message_id": "wms-3", "content_type": "application/json",
                              "headers": { "MT-Fault-ExceptionType": "System.Text.Json.JsonException", "OF-Replay-Count": 2 } } }
            """);

        var letter = DeadLetter.FromManagement("fulfillment_error", message.RootElement);

        Assert.Equal(("wms-3", 2, "JsonException"), (letter.MessageId, letter.ReplayCount, letter.ShortExceptionType));
        Assert.Equal(body, letter.RawBody.ToArray());
        Assert.Null(letter.FulfillmentId);
        Assert.EndsWith("\\xFF\"}", letter.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public void Skipped_queues_are_dead_letter_queues_that_replay_to_their_queue_but_ofctl_lists_only_error_queues()
    {
        Assert.Equal("fulfillment", ErrorQueues.SourceOf("fulfillment_skipped"));
        Assert.Equal("order-status", ErrorQueues.SourceOf("order-status_error"));
        Assert.True(ErrorQueues.IsDeadLetterQueue("fulfillment_skipped"));
        Assert.False(ErrorQueues.IsErrorQueue("fulfillment_skipped"));
        Assert.False(ErrorQueues.IsDeadLetterQueue("_error"));
    }
}
