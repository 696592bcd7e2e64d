using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>Rule 7: what cannot be processed ends in the endpoint's error queue with its reason, raises an alert, and blocks nothing.</summary>
[Trait("Category", "Integration")]
public sealed class DeadLetterTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Bad_messages_land_in_the_error_queue_with_their_reason_and_the_messages_behind_them_flow()
    {
        await using var system = await SystemUnderTest.StartAsync("poison");
        await using var events = await system.Amqp.ObserveAsync("order.status_changed");

        await system.Amqp.PublishAsync("order.confirmed", "{ this is not json", messageId: "bad-json");
        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD 1?", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [] }""",
            messageId: "bad-fields");
        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD-Q1", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [ { "sku": "S", "quantity": 0 } ] }""",
            messageId: "bad-quantity");
        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD-OK", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [ { "sku": "S", "quantity": 1 } ] }""",
            messageId: "good");

        await events.WaitForAsync(e => e.Any(x => x.Text("orderId") == "ORD-OK"), Wait, "the good order behind the bad ones");
        await system.Amqp.WaitForQueueAsync("order-status_error", 3, Wait);

        var reasons = new Dictionary<string, (string Type, string Message)>();
        while (await system.Amqp.GetAsync("order-status_error") is { } message)
        {
            reasons[message.BasicProperties.MessageId!] = (message.Header("MT-Fault-ExceptionType"), message.Header("MT-Fault-Message"));
            Assert.Equal("order.confirmed", message.Header("OF-Original-Exchange"));
        }

        Assert.Contains("Json", reasons["bad-json"].Type + reasons["bad-json"].Message, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith(".InvalidMessageException", reasons["bad-fields"].Type);
        Assert.Contains("orderId 'ORD 1?' must be 1 to 64 characters", reasons["bad-fields"].Message);
        Assert.Contains("lines must hold at least one line", reasons["bad-fields"].Message);
        Assert.Contains("lines[0].quantity must be 1 or more", reasons["bad-quantity"].Message);

        // The alert: a Critical log line per dead letter, and the counter on /metrics.
        await AmqpMessages.UntilAsync(() => system.Orders.Log.Count(l => l.Contains("Dead-lettered to order-status_error", StringComparison.Ordinal)) >= 3, Wait,
            "three alerts");
        Assert.Contains(system.Orders.Log, l => l.Contains(" crit: ", StringComparison.Ordinal));
        using var http = system.Orders.Http();
        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("orderfulfillment_dead_letters_total{", metrics);
        Assert.Contains("reason=\"InvalidMessageException\"", metrics);
    }

    [Fact]
    public async Task An_unknown_fulfillment_is_dead_lettered_at_once()
    {
        await using var system = await SystemUnderTest.StartAsync("unknown");
        var started = DateTime.UtcNow;

        await system.Amqp.PublishAsync("warehouse.picked", new { fulfillmentId = Guid.NewGuid(), occurredAt = DateTimeOffset.UtcNow });

        await system.Amqp.WaitForQueueAsync("fulfillment_error", 1, Wait);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "no retries for what no retry can mend");
        var message = await system.Amqp.GetAsync("fulfillment_error");
        Assert.EndsWith(".UnknownFulfillmentException", message!.Header("MT-Fault-ExceptionType"));
    }

    [Fact]
    public async Task The_same_plain_message_id_delivered_twice_takes_effect_once()
    {
        await using var system = await SystemUnderTest.StartAsync("dedup");
        await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD-D1", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [ { "sku": "S", "quantity": 1, "warehouseId": "WH-EAST" } ] }""");
        var planning = (await events.WaitForAsync(e => e.Any(x => x.Text("status") == "planning"), Wait, "planning"))
            .First(x => x.Text("status") == "planning");
        var fulfillmentId = planning.Text("fulfillmentId");

        // The WMS sends "cancelled" twice with one message_id (a redelivery), then a second, different cancellation.
        var cancel = new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow, reason = "damaged" };
        await system.Amqp.PublishAsync("warehouse.cancelled", cancel, messageId: "wms-cancel-1");
        await system.Amqp.PublishAsync("warehouse.cancelled", cancel, messageId: "wms-cancel-1");
        await events.WaitForAsync(e => e.Any(x => x.Text("status") == "cancelled" && x.Exchange == "order.status_changed"), Wait, "order cancelled");
        await system.UntilIdleAsync(Wait);

        Assert.Single(events.Events, x => x.Exchange == "fulfillment.status_changed" && x.Text("status") == "cancelled");
        Assert.Equal(0u, await system.Amqp.MessageCountAsync("fulfillment_error"));
        using var http = system.Orders.Http();
        var order = await http.GetFromJsonAsync<JsonElement>("orders/ORD-D1");
        Assert.Equal("cancelled", order.GetProperty("status").GetString());
    }
}
