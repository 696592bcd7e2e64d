using System.Text.Json;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cli;

/// <summary>ofctl order publish|show|cancel, warehouse and delivery confirm against both services.</summary>
[Trait("Category", "Integration")]
public sealed class OrderCommandsTests(OfctlSystemFixture fixture, ITestOutputHelper output) : IClassFixture<OfctlSystemFixture>
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    readonly SystemUnderTest _system = fixture.System;
    readonly Ofctl _ofctl = new(output, fixture.System);

    [Fact]
    public async Task Publish_prints_the_order_id_and_show_renders_the_processing_order()
    {
        await using var events = await _system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");

        var publish = await _ofctl.SucceedAsync("order", "publish", "--order-id", "ORD-CLI-1", "--message-id", "checkout-ORD-CLI-1");

        Assert.Equal("ORD-CLI-1", publish.Output.Trim());
        await events.WaitForAsync(e => e.Count(x => x.Text("orderId") == "ORD-CLI-1" && x.Text("status") == "planning") == 3, Wait,
            "three planning fulfillments (default lines: WH-EAST, WH-WEST and one routed line)");
        await events.WaitForAsync(e => e.Any(x => x.Text("orderId") == "ORD-CLI-1" && x.Text("status") == "processing"), Wait, "processing");

        var show = await _ofctl.SucceedAsync("order", "show", "ORD-CLI-1");
        Assert.Contains("status processing", show.Output);
        foreach (var expected in new[] { "WH-EAST", "WH-WEST", "WH-CENTRAL", "SKU-3 x5", "Timeline", "order.confirmed", "confirmed → processing" })
            Assert.Contains(expected, show.Output);

        var json = await _ofctl.SucceedAsync("order", "show", "ORD-CLI-1", "--json");
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal("processing", document.RootElement.GetProperty("order").GetProperty("status").GetString());
        Assert.Equal(3, document.RootElement.GetProperty("fulfillments").GetArrayLength());
    }

    [Fact]
    public async Task Warehouse_steps_and_delivery_confirmations_make_the_order_delivered()
    {
        await using var events = await _system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
        var ids = await PublishTwoWarehouseOrderAsync(events, "ORD-CLI-2", "SKU-1");

        // WH-EAST goes through every step; WH-WEST skips ahead to shipped.
        string[] steps = ["picking-started", "picked", "packing-started", "packed", "ready-to-ship", "shipped", "completed"];
        string[] statuses = ["picking", "picked", "packing", "packed", "ready", "shipped", "completed"];
        for (var i = 0; i < steps.Length; i++)
        {
            string[] extra = steps[i] == "shipped" ? ["--carrier", "UPS", "--tracking-number", "1ZEAST"] : [];
            var step = await _ofctl.SucceedAsync(["warehouse", steps[i], "--fulfillment-id", ids["WH-EAST"], .. extra]);
            Assert.Contains($"published warehouse.{steps[i].Replace('-', '_')} for fulfillment {ids["WH-EAST"]}", step.Output);
            var status = statuses[i];
            await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == ids["WH-EAST"] && x.Text("status") == status), Wait, $"WH-EAST {status}");
        }

        await _ofctl.SucceedAsync("warehouse", "shipped", "--fulfillment-id", ids["WH-WEST"], "--carrier", "DHL", "--tracking-number", "JDWEST");
        await events.WaitForAsync(e => e.Any(x => x.Text("orderId") == "ORD-CLI-2" && x.Text("status") == "shipped" && x.Exchange == "order.status_changed"),
            Wait, "the order shipped");

        foreach (var (warehouse, id) in ids)
            await _ofctl.SucceedAsync("delivery", "confirm", "--order-id", "ORD-CLI-2", "--fulfillment-id", id, "--carrier", "UPS");
        await events.WaitForAsync(e => e.Any(x => x.Text("orderId") == "ORD-CLI-2" && x.Text("status") == "delivered"), Wait, "the order delivered");

        var show = await _ofctl.SucceedAsync("order", "show", "ORD-CLI-2");
        Assert.Contains("status delivered", show.Output);
        Assert.Contains("1ZEAST", show.Output);
        Assert.Contains("JDWEST", show.Output);
        Assert.Contains("partially_delivered → delivered", show.Output);
    }

    [Fact]
    public async Task Show_at_80_columns_keeps_every_line_within_80_and_breaks_no_word()
    {
        await using var events = await _system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
        var ids = await PublishTwoWarehouseOrderAsync(events, "ORD-CLI-80", "SKU-LONG-NAME-0001");

        // A long timeline: every step of WH-EAST, WH-WEST straight to shipped, a duplicate delivery, a refused cancellation.
        foreach (var (step, status) in new[] { ("picking-started", "picking"), ("picked", "picked"), ("packing-started", "packing"), ("packed", "packed"), ("ready-to-ship", "ready") })
        {
            await _ofctl.SucceedAsync("warehouse", step, "--fulfillment-id", ids["WH-EAST"]);
            await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == ids["WH-EAST"] && x.Text("status") == status), Wait, $"WH-EAST {status}");
        }

        await _ofctl.SucceedAsync("warehouse", "shipped", "--fulfillment-id", ids["WH-EAST"], "--carrier", "UPS", "--tracking-number", "1Z999AA10123456784");
        await _ofctl.SucceedAsync("warehouse", "shipped", "--fulfillment-id", ids["WH-WEST"], "--carrier", "DHL", "--tracking-number", "JD014600006281234567");
        await events.WaitForAsync(e => e.Any(x => x.Text("orderId") == "ORD-CLI-80" && x.Text("status") == "shipped" && x.Exchange == "order.status_changed"),
            Wait, "the order shipped");
        await _ofctl.SucceedAsync("delivery", "confirm", "--order-id", "ORD-CLI-80", "--fulfillment-id", ids["WH-EAST"], "--carrier", "UPS");
        await _ofctl.SucceedAsync("delivery", "confirm", "--order-id", "ORD-CLI-80", "--fulfillment-id", ids["WH-EAST"], "--carrier", "UPS");
        Assert.Equal(1, (await _ofctl.RunAsync("order", "cancel", "--order-id", "ORD-CLI-80", "--reason", "the customer changed their mind after it shipped")).ExitCode);
        await _ofctl.SucceedAsync("delivery", "confirm", "--order-id", "ORD-CLI-80", "--fulfillment-id", ids["WH-WEST"], "--carrier", "DHL");
        await events.WaitForAsync(e => e.Any(x => x.Text("orderId") == "ORD-CLI-80" && x.Text("status") == "delivered"), Wait, "the order delivered");

        var narrow = new Ofctl(output, _system, new Dictionary<string, string> { ["COLUMNS"] = "80" });
        var show = await narrow.SucceedAsync("order", "show", "ORD-CLI-80");

        var lines = show.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, line => Assert.True(line.Length <= 80, $"{line.Length} columns: {line}"));
        Assert.True(lines.Count(l => l.Contains("for WH-EAST", StringComparison.Ordinal)) >= 8, "a long timeline");
        // Nothing wrapped mid-word or cut: each id, number and name stands whole on one line.
        string[] whole =
        [
            ids["WH-EAST"], ids["WH-WEST"], "1Z999AA10123456784", "JD014600006281234567", "SKU-LONG-NAME-0001 x2", "order.cancellation_requested",
            "order.cancellation_refused", "duplicate", "partially_delivered → delivered", "status delivered",
        ];
        foreach (var text in whole)
            Assert.Contains(lines, line => line.Contains(text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancel_before_shipment_cancels_the_order()
    {
        await using var events = await _system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
        await _ofctl.SucceedAsync("order", "publish", "--order-id", "ORD-CLI-3");
        await events.WaitForAsync(e => e.Count(x => x.Text("orderId") == "ORD-CLI-3" && x.Text("status") == "planning") == 3, Wait, "three planning");

        var cancel = await _ofctl.SucceedAsync("order", "cancel", "--order-id", "ORD-CLI-3", "--reason", "customer changed mind");

        Assert.Contains("published order.cancellation_requested for ORD-CLI-3", cancel.Output);
        Assert.Contains("order ORD-CLI-3 is cancelled", cancel.Output);
        await events.WaitForAsync(e => e.Any(x => x.Exchange == "order.status_changed" && x.Text("orderId") == "ORD-CLI-3" && x.Text("status") == "cancelled"),
            Wait, "the order cancelled");
        var show = await _ofctl.SucceedAsync("order", "show", "ORD-CLI-3");
        Assert.Contains("status cancelled", show.Output);
        Assert.Contains("cancelled (customer changed mind)", show.Output);
    }

    [Fact]
    public async Task Cancel_after_a_shipment_is_refused_and_exits_1_with_the_reason()
    {
        await using var events = await _system.Amqp.ObserveAsync("fulfillment.status_changed");
        await _ofctl.SucceedAsync("order", "publish", "--order-id", "ORD-CLI-4");
        var planned = await events.WaitForAsync(e => e.Count(x => x.Text("orderId") == "ORD-CLI-4" && x.Text("status") == "planning") == 3, Wait,
            "three planning");
        var shipped = planned.First(x => x.Text("orderId") == "ORD-CLI-4").Text("fulfillmentId")!;
        await _ofctl.SucceedAsync("warehouse", "shipped", "--fulfillment-id", shipped, "--carrier", "UPS", "--tracking-number", "1Z4");
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == shipped && x.Text("status") == "shipped"), Wait, "one shipped");

        var cancel = await _ofctl.RunAsync("order", "cancel", "--order-id", "ORD-CLI-4");

        Assert.Equal(1, cancel.ExitCode);
        Assert.Contains("cancellation of order ORD-CLI-4 refused: 1 of the order's 3 fulfillments have shipped", cancel.Error);
    }

    /// <summary>Publishes an order with a WH-EAST and a WH-WEST line; its fulfillment ids by warehouse, once both are planning.</summary>
    async Task<Dictionary<string, string>> PublishTwoWarehouseOrderAsync(EventLog events, string orderId, string eastSku)
    {
        await _ofctl.SucceedAsync("order", "publish", "--order-id", orderId, "--line", $"{eastSku}:2:WH-EAST", "--line", "SKU-2:1:WH-WEST");
        var planned = await events.WaitForAsync(e => e.Count(x => x.Text("orderId") == orderId && x.Text("status") == "planning") == 2, Wait,
            "two planning fulfillments");
        return planned.Where(x => x.Text("orderId") == orderId && x.Text("status") == "planning")
            .ToDictionary(x => x.Text("warehouseId")!, x => x.Text("fulfillmentId")!);
    }

    [Fact]
    public async Task Show_of_an_unknown_order_exits_1_with_a_clear_message()
    {
        var show = await _ofctl.RunAsync("order", "show", "ORD-NEVER");

        Assert.Equal(1, show.ExitCode);
        Assert.Contains("order 'ORD-NEVER' not found", show.Error);
        Assert.Empty(show.Output);
    }
}
