using Microsoft.Playwright;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Console.Tests.Pages;

[Collection(ConsoleCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FailedMessagesPageTests(ConsoleSystem console)
{
    [Fact]
    public async Task A_dead_letter_is_grouped_with_its_reason_the_dry_run_forecasts_it_and_retry_moves_the_order_on()
    {
        // A warehouse step that arrives before its fulfillment exists fails at once (UnknownFulfillmentException)...
        var orderId = "ORD-F" + Guid.NewGuid().ToString("N")[..8];
        var fulfillmentId = DeterministicId.ForFulfillment(orderId, "WH-EAST");
        var before = await console.System.Amqp.MessageCountAsync("fulfillment_error");
        await console.System.Amqp.PublishAsync(WarehousePickingStarted.Exchange, new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow }, "wms-early-" + orderId);
        await console.System.Amqp.WaitForQueueAsync("fulfillment_error", before + 1, TimeSpan.FromSeconds(30));
        // ...then the order is confirmed, and the fulfillment waits in planning: the cause is gone.
        await console.System.Amqp.PublishAsync(OrderConfirmed.Exchange,
            new { orderId, confirmedAt = DateTimeOffset.UtcNow, lines = new[] { new { sku = "SKU-1", quantity = 1, warehouseId = "WH-EAST" } } }, "checkout-" + orderId);
        await ConsoleSystem.WaitForJsonAsync(console.System.Fulfillments, $"fulfillments/{fulfillmentId}",
            f => f.GetProperty("status").GetString() == FulfillmentStatuses.Planning, "fulfillment planning");

        var page = await console.SignedInPageAsync();
        await page.GotoAsync("/failed");
        var group = page.Locator("#failure-groups tbody tr", new() { HasText = "warehouse.picking_started" })
            .Filter(new() { HasText = "UnknownFulfillmentException" });
        await Assertions.Expect(group).ToHaveCountAsync(1);
        await Assertions.Expect(group).ToContainTextAsync("fulfillment_error");
        await ConsoleSystem.ScreenshotAsync(page, "failed-1280");
        await page.SetViewportSizeAsync(800, 800);
        await ConsoleSystem.ScreenshotAsync(page, "failed-800");
        Assert.True(await page.EvaluateAsync<bool>("(() => { const t = document.querySelector('#failure-groups'); return t.scrollWidth <= t.parentElement.clientWidth; })()"),
            "the failure groups do not fit 800 px");
        await page.SetViewportSizeAsync(1280, 800);

        await group.Locator("a").First.ClickAsync();
        await page.WaitForURLAsync("**/failed/group?*");
        var row = page.Locator("#group-messages tbody tr", new() { HasText = "wms-early-" + orderId });
        await row.Locator("input[type=checkbox]").CheckAsync();
        await page.ClickAsync("#dry-run-selected");
        var forecast = page.Locator("#outcome-table tbody tr", new() { HasText = "wms-early-" + orderId });
        await Assertions.Expect(forecast).ToContainTextAsync("applied");
        await Assertions.Expect(forecast).ToContainTextAsync("planning → picking");
        await ConsoleSystem.ScreenshotAsync(page, "failed-dry-run-1280");

        await page.ClickAsync("#retry");
        await Assertions.Expect(page.Locator("#outcome-table tbody tr", new() { HasText = "wms-early-" + orderId })).ToContainTextAsync("replayed");

        await ConsoleSystem.WaitForJsonAsync(console.System.Fulfillments, $"fulfillments/{fulfillmentId}",
            f => f.GetProperty("status").GetString() == FulfillmentStatuses.Picking, "the replayed step applied");
        await page.GotoAsync($"/orders/{orderId}");
        await Assertions.Expect(page.Locator("#fulfillments")).ToContainTextAsync("planning → picking");
        await page.GotoAsync("/failed");
        await Assertions.Expect(page.Locator("main")).Not.ToContainTextAsync("warehouse.picking_started");
    }

    [Fact]
    public async Task A_body_that_is_not_utf8_is_shown_escaped_forecast_to_fail_again_and_discarded_after_confirmation()
    {
        // Put into an error queue of its own, as the error pipe would have moved it there. (Through the order service
        // itself, such a body makes the service's dead-letter alert throw, and the message is copied into
        // order-status_error over and over: a bug of the services' error pipe, reported, not this page's.)
        const string errorQueue = "console-bad-bytes_error";
        var messageId = "checkout-bad-bytes-" + Guid.NewGuid().ToString("N")[..8];
        byte[] body = [.. """{"orderId":"X"""u8, 0xC3, .. "\",\"confirmedAt\":\"2026-11-24T10:00:00Z\",\"lines\":[{\"sku\":\"SKU-1\",\"quantity\":1}]}"u8];
        await console.System.Amqp.PutInQueueAsync(errorQueue, body, messageId, new Dictionary<string, object?>
        {
            ["MT-Reason"] = "fault",
            ["MT-Fault-ExceptionType"] = "System.Text.Json.JsonException",
            ["MT-Fault-Message"] = "'0xC3' is an invalid UTF-8 byte",
            ["MT-Fault-Timestamp"] = DateTimeOffset.UtcNow.ToString("O"),
            ["MT-Fault-StackTrace"] = "at System.Text.Json.ThrowHelper.ThrowJsonReaderException(...)",
            ["OF-Original-Exchange"] = OrderConfirmed.Exchange,
        });
        var before = await console.System.Amqp.MessageCountAsync(errorQueue);
        Assert.Equal(1u, before);

        var page = await console.SignedInPageAsync();
        await page.GotoAsync("/failed");
        await Assertions.Expect(page.Locator("#failure-groups tbody tr", new() { HasText = errorQueue })).ToContainTextAsync("JsonException");
        await page.GotoAsync($"/failed/message?queue={errorQueue}&key={messageId}");
        await Assertions.Expect(page.Locator("#body")).ToContainTextAsync("\\xC3");
        await Assertions.Expect(page.Locator("#headers")).ToContainTextAsync("MT-Fault-ExceptionType");
        await Assertions.Expect(page.Locator("#stack-trace")).Not.ToBeEmptyAsync();
        await page.ClickAsync("#dry-run-message");
        await Assertions.Expect(page.Locator("#outcome-table")).ToContainTextAsync("would fail");
        await ConsoleSystem.ScreenshotAsync(page, "failed-message-1280");

        string? asked = null;
        page.Dialog += async (_, dialog) =>
        {
            asked = dialog.Message;
            await dialog.AcceptAsync();
        };
        await page.ClickAsync("#discard");
        await Assertions.Expect(page.Locator("#outcome-table")).ToContainTextAsync("discarded");
        Assert.Contains("for good", asked, StringComparison.Ordinal);
        Assert.Equal(0u, await console.System.Amqp.MessageCountAsync(errorQueue));
    }
}
