using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Console.Tests.Pages;

[Collection(ConsoleCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OrderPageTests(ConsoleSystem console)
{
    [Fact]
    public async Task An_order_is_found_by_id_and_shows_its_fulfillments_their_history_and_the_timeline()
    {
        var orderId = "ORD-C" + Guid.NewGuid().ToString("N")[..8];
        var confirmed = new
        {
            orderId,
            confirmedAt = DateTimeOffset.UtcNow,
            lines = new object[] { new { sku = "SKU-1", quantity = 2, warehouseId = "WH-EAST" }, new { sku = "SKU-2", quantity = 1, warehouseId = "WH-WEST" } },
        };
        await console.System.Amqp.PublishAsync(OrderConfirmed.Exchange, confirmed, "checkout-" + orderId);
        await ConsoleSystem.WaitForJsonAsync(console.System.Orders, $"orders/{orderId}",
            o => o.GetProperty("status").GetString() == OrderStatuses.Processing && o.GetProperty("fulfillments").GetArrayLength() == 2, "order processing");
        // The same confirmation again, under another id: the timeline shows it as a duplicate.
        await console.System.Amqp.PublishAsync(OrderConfirmed.Exchange, confirmed, "checkout-again-" + orderId);
        await ConsoleSystem.WaitForJsonAsync(console.System.Orders, $"orders/{orderId}",
            o => o.GetProperty("timeline").EnumerateArray().Any(e => e.GetProperty("outcome").GetString() == "duplicate"), "duplicate recorded");

        var page = await console.SignedInPageAsync();
        await page.GotoAsync("/orders");
        await page.FillAsync("#find-order input[name=orderId]", orderId);
        await page.ClickAsync("#find-order button");
        await page.WaitForURLAsync($"**/orders/{orderId}");

        await Assertions.Expect(page.Locator("#order-status")).ToHaveTextAsync(OrderStatuses.Processing);
        await Assertions.Expect(page.Locator("#fulfillments section.fulfillment")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#fulfillments")).ToContainTextAsync("WH-EAST");
        await Assertions.Expect(page.Locator("#fulfillments table.history").First).ToContainTextAsync("pending → planning");
        var timeline = page.Locator("#timeline");
        await Assertions.Expect(timeline).ToContainTextAsync("order.confirmed");
        await Assertions.Expect(timeline).ToContainTextAsync("fulfillment.status_changed");
        await Assertions.Expect(timeline.Locator("span.badge.duplicate")).ToHaveCountAsync(1);
        await Assertions.Expect(timeline.Locator("span.badge.status_changed").First).ToBeVisibleAsync();
        await ConsoleSystem.ScreenshotAsync(page, "order-1280");

        await page.SetViewportSizeAsync(800, 900);
        await ConsoleSystem.ScreenshotAsync(page, "order-800");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the order page scrolls sideways at 800 px");
    }

    [Fact]
    public async Task A_fulfillment_past_its_deadline_is_marked_overdue_on_the_order_page()
    {
        var orderId = "ORD-O" + Guid.NewGuid().ToString("N")[..8];
        await console.System.Amqp.PublishAsync(OrderConfirmed.Exchange,
            new { orderId, confirmedAt = DateTimeOffset.UtcNow, lines = new[] { new { sku = "SKU-1", quantity = 1, warehouseId = "WH-EAST" } } }, "checkout-" + orderId);
        var planned = await ConsoleSystem.WaitForJsonAsync(console.System.Fulfillments, $"orders/{orderId}/fulfillments",
            f => f.GetArrayLength() == 1 && f[0].GetProperty("status").GetString() == FulfillmentStatuses.Planning, "fulfillment planning");
        var fulfillmentId = planned[0].GetProperty("fulfillmentId").GetString();
        await console.System.Amqp.PublishAsync(WarehousePacked.Exchange, new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow }, "wms-packed-" + orderId);
        await ConsoleSystem.WaitForJsonAsync(console.System.Fulfillments, $"fulfillments/{fulfillmentId}",
            f => f.TryGetProperty("overdue", out var overdue) && overdue.ValueKind == System.Text.Json.JsonValueKind.Object, "fulfillment overdue");

        var page = await console.SignedInPageAsync();
        await page.GotoAsync($"/orders/{orderId}");

        await Assertions.Expect(page.Locator("#fulfillments span.badge.overdue")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#fulfillments")).ToContainTextAsync("packed since");
        await ConsoleSystem.ScreenshotAsync(page, "order-overdue-1280");
    }

    [Fact]
    public async Task Orders_are_listed_by_status_and_by_how_long_they_have_not_changed()
    {
        var orderId = "ORD-L" + Guid.NewGuid().ToString("N")[..8];
        await console.System.Amqp.PublishAsync(OrderConfirmed.Exchange,
            new { orderId, confirmedAt = DateTimeOffset.UtcNow, lines = new[] { new { sku = "SKU-1", quantity = 1, warehouseId = "WH-EAST" } } }, "checkout-" + orderId);
        await ConsoleSystem.WaitForJsonAsync(console.System.Orders, $"orders/{orderId}", o => o.GetProperty("status").GetString() == OrderStatuses.Processing, "order processing");

        var page = await console.SignedInPageAsync();
        await page.GotoAsync("/orders");
        await page.SelectOptionAsync("#list-orders select[name=status]", OrderStatuses.Processing);
        await page.ClickAsync("#list-orders button");
        await Assertions.Expect(page.Locator("#orders")).ToContainTextAsync(orderId);
        await ConsoleSystem.ScreenshotAsync(page, "orders-1280");

        await page.GotoAsync("/orders?status=delivered");
        await Assertions.Expect(page.Locator("#orders")).Not.ToContainTextAsync(orderId);

        // Changed a moment ago: not stuck for longer than 5 minutes, but it has had no change for 0+ seconds.
        await page.GotoAsync("/orders?stuckMinutes=5");
        await Assertions.Expect(page.Locator("#orders")).Not.ToContainTextAsync(orderId);
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync(new Regex("no change for longer than 5 min"));

        // The order service's filter behind it: an order last changed before the given instant is listed.
        using var http = console.System.Orders.Http();
        var later = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"));
        var earlier = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"));
        Assert.Contains(orderId, await http.GetStringAsync($"orders?updatedBefore={later}&limit=500"), StringComparison.Ordinal);
        Assert.DoesNotContain(orderId, await http.GetStringAsync($"orders?updatedBefore={earlier}&limit=500"), StringComparison.Ordinal);
    }
}
