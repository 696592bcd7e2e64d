using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Monitoring;

/// <summary>
/// One trace per order: both services export their spans (OTLP) to a receiver in the test while one order goes from
/// confirmed to delivered. order.confirmed comes without a trace (the first consumer starts it); the warehouse and the
/// carrier carry on the trace of the event they act on, in the W3C traceparent header, as a traced producer would.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Monitoring")]
public sealed class OrderTraceTests(ITestOutputHelper output)
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    static readonly string[] Steps =
        ["warehouse.picking_started", "warehouse.picked", "warehouse.packing_started", "warehouse.packed", "warehouse.ready_to_ship", "warehouse.shipped"];

    static readonly string[] MessagingScopes = ["MassTransit", "RabbitMQ.Client.Publisher", "RabbitMQ.Client.Subscriber", "OrderFulfillment.Persistence"];

    [Fact]
    public async Task An_order_to_delivered_is_one_trace_with_every_parent_exported()
    {
        await using var receiver = new OtlpTraceReceiver();
        await using var system = await SystemUnderTest.StartAsync("trace", receiver.Configure);
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed", "order.status_changed");

        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD-TRACE-1", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [ { "sku": "S", "quantity": 1, "warehouseId": "WH-EAST" } ] }""",
            messageId: "trace-confirmed");
        var planning = (await events.WaitForAsync(e => e.Any(x => x.Text("status") == "planning"), Wait, "planning")).First(x => x.Text("status") == "planning");
        var fulfillmentId = planning.Text("fulfillmentId")!;
        Assert.False(string.IsNullOrEmpty(planning.TraceParent), "fulfillment.status_changed carries a traceparent header");
        output.WriteLine($"planning arrived with traceparent {planning.TraceParent}");

        // Each step continues the trace of the last status it saw, as a WMS that propagates context would.
        var last = planning;
        foreach (var step in Steps)
        {
            object body = step == "warehouse.shipped"
                ? new { fulfillmentId, occurredAt = "2026-11-24T12:00:00Z", carrier = "UPS", trackingNumber = "1ZTRACE" }
                : new { fulfillmentId, occurredAt = "2026-11-24T11:00:00Z" };
            await system.Amqp.PublishAsync(step, System.Text.Json.JsonSerializer.Serialize(body, System.Text.Json.JsonSerializerOptions.Web),
                messageId: $"{step}:{fulfillmentId}", headers: new Dictionary<string, object?> { ["traceparent"] = last.TraceParent });
            var status = step["warehouse.".Length..] switch { "picking_started" => "picking", "packing_started" => "packing", "ready_to_ship" => "ready", var s => s };
            last = (await events.WaitForAsync(e => e.Any(x => x.Exchange == "fulfillment.status_changed" && x.Text("status") == status), Wait, status))
                .First(x => x.Exchange == "fulfillment.status_changed" && x.Text("status") == status);
        }

        await system.Amqp.PublishAsync("delivery.confirmed", System.Text.Json.JsonSerializer.Serialize(new
        {
            orderId = "ORD-TRACE-1",
            fulfillmentId,
            deliveredAt = "2026-11-26T15:00:00Z",
            carrier = "UPS",
            trackingNumber = "1ZTRACE",
        }, System.Text.Json.JsonSerializerOptions.Web),
            messageId: $"delivered:{fulfillmentId}", headers: new Dictionary<string, object?> { ["traceparent"] = last.TraceParent });
        await events.WaitForAsync(e => e.Any(x => x.Exchange == "order.status_changed" && x.Text("status") == "delivered"), Wait, "order delivered");

        // Spans arrive in batches: wait until the last hop (the fulfillment service consuming order.status_changed
        // "delivered") is in and every parent is there, or fail with what is missing.
        IReadOnlyList<ReceivedSpan> spans = [];
        List<ReceivedSpan> orphans = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            spans = [.. receiver.Spans.Where(s => MessagingScopes.Contains(s.Scope))];
            var ids = spans.Select(s => s.SpanId).ToHashSet();
            orphans = [.. spans.Where(s => s.ParentSpanId is not null && !ids.Contains(s.ParentSpanId))];
            var consumedByFulfillment = spans.Count(s => s.Service == "fulfillment-service" && s.Name.Contains("fulfillment-order-events", StringComparison.Ordinal));
            if (orphans.Count == 0 && consumedByFulfillment >= 2 * 5)
                break;
            await Task.Delay(250); // the interval of a poll of the exported spans, not a quiet period
        }

        foreach (var span in spans)
            output.WriteLine(span.ToString());
        var traces = spans.GroupBy(s => s.TraceId).Select(g => $"{g.Key}: {g.Count()} spans").ToList();
        output.WriteLine($"{spans.Count} messaging spans in {traces.Count} trace(s): {string.Join(", ", traces)}");

        Assert.True(traces.Count == 1, "one trace: " + string.Join(", ", traces));
        Assert.True(orphans.Count == 0, "spans whose parent was not exported:\n" + string.Join("\n", orphans));
        Assert.Single(spans, s => s.ParentSpanId is null);
        Assert.Contains(spans, s => s.Service == "order-service" && s.Name == "order-status process");
        Assert.Contains(spans, s => s.Service == "fulfillment-service" && s.Name == "fulfillment-order-events process");
        Assert.Contains(spans, s => s.Service == "fulfillment-service" && s.Name == "outbox deliver");
        Assert.Contains(spans, s => s.Service == "order-service" && s.Name == "outbox deliver");
        // Each event is sent from inside the delivery span that continues the trace stored with its outbox row.
        var byId = spans.ToDictionary(s => s.SpanId);
        foreach (var exchange in new[] { "fulfillment.status_changed", "order.status_changed" })
        {
            var sends = spans.Where(s => s.Name == exchange + " send").ToList();
            Assert.NotEmpty(sends);
            Assert.All(sends, send => Assert.Equal("outbox deliver", byId[send.ParentSpanId!].Name));
        }
    }
}
