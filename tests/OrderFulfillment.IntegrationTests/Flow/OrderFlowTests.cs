using System.Net.Http.Json;
using System.Text.Json;
using OrderFulfillment.TestSupport;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Flow;

[Trait("Category", "Integration")]
public sealed class OrderFlowTests(ITestOutputHelper output)
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    static readonly string[] Steps =
        ["warehouse.picking_started", "warehouse.picked", "warehouse.packing_started", "warehouse.packed", "warehouse.ready_to_ship", "warehouse.shipped", "warehouse.completed"];

    [Fact]
    public async Task A_two_warehouse_order_goes_from_confirmed_to_delivered_across_both_services()
    {
        await using var system = await SystemUnderTest.StartAsync("flow");
        await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");

        await system.Amqp.PublishAsync("order.confirmed", """
            { "orderId": "ORD-1001", "confirmedAt": "2026-11-24T10:00:00Z",
              "lines": [ { "sku": "SKU-1", "quantity": 2, "warehouseId": "WH-EAST" },
                         { "sku": "SKU-2", "quantity": 1, "warehouseId": "WH-WEST" } ] }
            """, messageId: "checkout-ORD-1001");

        var planned = await events.WaitForAsync(
            e => e.Count(x => x.Exchange == "fulfillment.status_changed" && x.Text("status") == "planning") == 2, Wait, "two planning fulfillments");
        var fulfillments = planned.Where(x => x.Text("status") == "planning").ToDictionary(x => x.Text("warehouseId")!, x => x.Text("fulfillmentId")!);

        foreach (var warehouse in new[] { "WH-EAST", "WH-WEST" })
        {
            foreach (var step in Steps)
            {
                object body = step == "warehouse.shipped"
                    ? new { fulfillmentId = fulfillments[warehouse], occurredAt = "2026-11-24T12:00:00Z", carrier = "UPS", trackingNumber = "1Z" + warehouse }
                    : new { fulfillmentId = fulfillments[warehouse], occurredAt = "2026-11-24T11:00:00Z" };
                await system.Amqp.PublishAsync(step, body);
                var status = StatusAfter(step);
                await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == fulfillments[warehouse] && x.Text("status") == status), Wait,
                    $"{warehouse} {status}");
            }
        }

        foreach (var warehouse in new[] { "WH-EAST", "WH-WEST" })
            await system.Amqp.PublishAsync("delivery.confirmed", new
            {
                orderId = "ORD-1001",
                fulfillmentId = fulfillments[warehouse],
                deliveredAt = "2026-11-26T15:00:00Z",
                carrier = "UPS",
                trackingNumber = "1Z" + warehouse,
            });

        var all = await events.WaitForAsync(e => e.Any(x => x.Exchange == "order.status_changed" && x.Text("status") == "delivered"), Wait,
            "the order delivered");

        foreach (var e in all)
            output.WriteLine($"{e.Exchange,-28} {e.Text("fulfillmentId") ?? "",-36} {e.Text("warehouseId") ?? "",-8} " +
                             $"{e.Text("previousStatus") ?? "null",-20} → {e.Text("status"),-20} {(e.Body.TryGetProperty("sequence", out var s) ? s.ToString() : "")}");

        var orderStatuses = all.Where(x => x.Exchange == "order.status_changed").Select(x => (x.Text("previousStatus"), x.Text("status"))).ToList();
        Assert.Equal(
            [(null, "confirmed"), ("confirmed", "processing"), ("processing", "partially_shipped"), ("partially_shipped", "shipped"),
                ("shipped", "partially_delivered"), ("partially_delivered", "delivered")],
            orderStatuses);
        var first = all.First(x => x.Exchange == "order.status_changed");
        Assert.Equal(JsonValueKind.Null, first.Body.GetProperty("previousStatus").ValueKind);
        Assert.Equal(2, first.Body.GetProperty("lines").GetArrayLength());

        foreach (var (warehouse, id) in fulfillments)
        {
            var changes = all.Where(x => x.Text("fulfillmentId") == id).ToList();
            Assert.Equal(["pending", "planning", "picking", "picked", "packing", "packed", "ready", "shipped", "completed"],
                changes.Select(x => x.Text("status")));
            Assert.Equal(Enumerable.Range(1, 9), changes.Select(x => x.Number("sequence")));
            Assert.Equal("1Z" + warehouse, changes.Last().Text("trackingNumber"));
        }

        using var http = system.Orders.Http();
        var order = await http.GetFromJsonAsync<JsonElement>("orders/ORD-1001");
        Assert.Equal("delivered", order.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_plain_message_reaches_only_the_consumer_of_its_own_type_and_the_envelope_works_too()
    {
        await using var system = await SystemUnderTest.StartAsync("typing");
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed");

        // The MassTransit envelope, as a .NET producer would send it.
        await system.Amqp.PublishAsync("order.confirmed", """
            { "messageId": "8f1e0000-0000-0000-0000-000000000001", "messageType": [ "urn:message:OrderFulfillment.Contracts:OrderConfirmed" ],
              "message": { "orderId": "ORD-ENV-1", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [ { "sku": "SKU-9", "quantity": 1 } ] } }
            """, contentType: "application/vnd.masstransit+json");
        var planning = (await events.WaitForAsync(e => e.Any(x => x.Text("status") == "planning"), Wait, "planning")).First(x => x.Text("status") == "planning");
        Assert.Equal("WH-CENTRAL", planning.Text("warehouseId"));

        // One plain warehouse.packed: the saga endpoint hosts every warehouse step, yet only "packed" may apply.
        await system.Amqp.PublishAsync("warehouse.packed", new { fulfillmentId = planning.Text("fulfillmentId"), occurredAt = "2026-11-24T11:00:00Z" });
        // The next step is the sentinel: the saga takes one fulfillment's messages in order and its events reach the
        // broker in commit order, so anything else "packed" had done would be announced before "ready".
        await system.Amqp.PublishAsync("warehouse.ready_to_ship", new { fulfillmentId = planning.Text("fulfillmentId"), occurredAt = "2026-11-24T11:05:00Z" });
        await events.WaitForAsync(e => e.Any(x => x.Text("status") == "ready"), Wait, "ready");

        Assert.Equal(["pending", "planning", "packed", "ready"], events.Events.Select(x => x.Text("status")));
    }

    static string StatusAfter(string step) => step switch
    {
        "warehouse.picking_started" => "picking",
        "warehouse.picked" => "picked",
        "warehouse.packing_started" => "packing",
        "warehouse.packed" => "packed",
        "warehouse.ready_to_ship" => "ready",
        "warehouse.shipped" => "shipped",
        "warehouse.completed" => "completed",
        _ => throw new ArgumentOutOfRangeException(nameof(step)),
    };
}
