using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrderFulfillment.TestSupport;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>
/// Rule 7 for the messages that broke it: bytes that are not UTF-8, envelopes of a type nobody consumes, fields past
/// their limits, an envelope on the wrong exchange. Each ends once in <c>&lt;queue&gt;_error</c> with its reason and an
/// alert, nothing in <c>_skipped</c>, nothing redelivered, nothing stored.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class PoisonMessageTests(ITestOutputHelper output)
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Invalid_utf8_inside_a_json_string_ends_once_in_the_error_queue_and_is_not_redelivered()
    {
        await using var system = await SystemUnderTest.StartAsync("badbytes");
        await using var events = await system.Amqp.ObserveAsync("order.status_changed");

        byte[] badBytes = [.. """{"orderId":"X"""u8, 0xC3, .. "\",\"confirmedAt\":\"2026-11-24T10:00:00Z\",\"lines\":[{\"sku\":\"S\",\"quantity\":1}]}"u8];
        await system.Amqp.PublishBytesAsync("order.confirmed", badBytes, messageId: "bad-bytes");
        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD-BB-OK", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [ { "sku": "S", "quantity": 1 } ] }""",
            messageId: "good-after-bad-bytes");

        await events.WaitForAsync(e => e.Any(x => x.Text("orderId") == "ORD-BB-OK"), Wait, "the good order behind the bad bytes");
        await system.Amqp.WaitForQueueAsync("order-status_error", 1, Wait);
        // The management API samples every 5 s: wait for two samples before reading the queue's rates and counts.
        await Task.Delay(TimeSpan.FromSeconds(11)); // two samples of the management API's statistics, not a quiet period

        var queue = await system.Infrastructure.QueueAsync("order-status");
        var redelivered = Stat(queue, "redeliver");
        var redeliverRate = queue.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("redeliver_details", out var details)
            ? details.GetProperty("rate").GetDouble()
            : 0;
        var copies = await system.Amqp.MessageCountAsync("order-status_error");
        var skipped = await system.Amqp.MessageCountAsync("order-status_skipped");
        var alerts = system.Orders.Log.Count(l => l.Contains("Dead-lettered to order-status_error", StringComparison.Ordinal));
        output.WriteLine($"bad bytes: {copies} copy in order-status_error, {skipped} in order-status_skipped, order-status: " +
                         $"{queue.GetProperty("messages").GetInt32()} ready+unacked, {redelivered} redelivered, redeliver rate {redeliverRate}/s, " +
                         $"{alerts} alert(s)");

        Assert.Equal(1u, copies);
        Assert.Equal(0u, skipped);
        Assert.Equal(0, queue.GetProperty("messages").GetInt32());
        Assert.Equal(0, redelivered);
        Assert.Equal(0, redeliverRate);
        Assert.Equal(1, alerts);

        var message = await system.Amqp.GetAsync("order-status_error");
        Assert.Equal("bad-bytes", message!.BasicProperties.MessageId);
        Assert.Equal(badBytes, message.Body.ToArray());
        Assert.Contains("UTF-8", message.Header("MT-Fault-Message"), StringComparison.Ordinal);
        Assert.Equal("order.confirmed", message.Header("OF-Original-Exchange"));
    }

    [Fact]
    public async Task An_envelope_of_a_type_no_consumer_knows_is_dead_lettered_with_its_reason_and_nothing_is_skipped()
    {
        await using var system = await SystemUnderTest.StartAsync("unknowntype");
        var envelope = JsonSerializer.Serialize(new
        {
            messageId = Guid.NewGuid(),
            messageType = new[] { "urn:message:Checkout.Contracts:GiftWrapRequested" },
            message = new { orderId = "ORD-GIFT-1" },
        });
        await system.Amqp.PublishAsync("order.confirmed", envelope, messageId: "unknown-type", contentType: "application/vnd.masstransit+json");
        // A rejected message of a known type: in the error queue only, never copied to _skipped as well.
        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD 1?", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [] }""",
            messageId: "bad-fields");

        await system.Amqp.WaitForQueueAsync("order-status_error", 2, Wait);
        await system.UntilIdleAsync(Wait);
        Assert.Equal(2u, await system.Amqp.MessageCountAsync("order-status_error"));
        Assert.Equal(0u, await system.Amqp.MessageCountAsync("order-status_skipped"));

        var reasons = new Dictionary<string, string>();
        while (await system.Amqp.GetAsync("order-status_error") is { } message)
            reasons[message.BasicProperties.MessageId!] = message.Header("MT-Fault-Message");
        output.WriteLine(string.Join("\n", reasons.Select(r => $"{r.Key}: {r.Value}")));
        Assert.Contains("urn:message:Checkout.Contracts:GiftWrapRequested", reasons["unknown-type"], StringComparison.Ordinal);
        Assert.Contains("orderId", reasons["bad-fields"], StringComparison.Ordinal);
        await AmqpMessages.UntilAsync(() => system.Orders.Log.Count(l => l.Contains("Dead-lettered to order-status_error", StringComparison.Ordinal)) == 2, Wait,
            "two alerts");
    }

    [Fact]
    public async Task Fields_past_their_limits_and_envelopes_on_the_wrong_exchange_are_refused_at_once_and_store_nothing()
    {
        await using var system = await SystemUnderTest.StartAsync("limits");
        var started = DateTime.UtcNow;
        string Order(string orderId, string? warehouseId = "WH-EAST") => JsonSerializer.Serialize(new
        {
            orderId,
            confirmedAt = "2026-11-24T10:00:00Z",
            lines = new[] { new { sku = "SKU-1", quantity = 1, warehouseId } },
        });

        await system.Amqp.PublishAsync("order.confirmed", Order("ORD-NL1\n"), messageId: "newline");
        await system.Amqp.PublishAsync("order.confirmed", Order(new string('A', 64) + "\n"), messageId: "64-and-newline");
        await system.Amqp.PublishAsync("order.confirmed", Order("ORD-LONGWH", new string('W', 129)), messageId: "long-warehouse");
        var envelope = JsonSerializer.Serialize(new
        {
            messageId = Guid.NewGuid(),
            messageType = new[] { "urn:message:OrderFulfillment.Contracts:OrderConfirmed" },
            message = new { orderId = "ORD-WRONG-EXCHANGE", confirmedAt = "2026-11-24T10:00:00Z", lines = new[] { new { sku = "S", quantity = 1 } } },
        });
        await system.Amqp.PublishAsync("delivery.confirmed", envelope, messageId: "wrong-exchange", contentType: "application/vnd.masstransit+json");

        await system.Amqp.WaitForQueueAsync("order-status_error", 4, Wait);
        var elapsed = DateTime.UtcNow - started;
        var reasons = new Dictionary<string, string>();
        while (await system.Amqp.GetAsync("order-status_error") is { } message)
            reasons[message.BasicProperties.MessageId!] = message.Header("MT-Fault-Message");
        output.WriteLine($"4 refused in {elapsed.TotalSeconds:0.0} s:\n" + string.Join("\n", reasons.Select(r => $"{r.Key}: {r.Value}")));

        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"refused after {elapsed.TotalSeconds:0.0} s: no retries for what no retry can mend");
        Assert.Contains("orderId", reasons["newline"], StringComparison.Ordinal);
        Assert.Contains("orderId", reasons["64-and-newline"], StringComparison.Ordinal);
        Assert.Contains("lines[0].warehouseId must be at most 64 characters", reasons["long-warehouse"], StringComparison.Ordinal);
        Assert.Contains("arrived through exchange 'delivery.confirmed'", reasons["wrong-exchange"], StringComparison.Ordinal);

        using var http = system.Orders.Http();
        foreach (var orderId in new[] { "ORD-LONGWH", "ORD-WRONG-EXCHANGE" })
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"orders/{orderId}")).StatusCode);
        Assert.Equal(0u, await system.Amqp.MessageCountAsync("fulfillment-order-events_error"));

        // Every line of the service's log carries its time.
        Assert.All(system.Orders.Log.Where(l => l.Length > 0), line => Assert.Matches(TimestampedLine(), line));
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")]
    private static partial Regex TimestampedLine();

    static int Stat(JsonElement queue, string name) =>
        queue.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty(name, out var value) ? value.GetInt32() : 0;
}
