using Microsoft.Playwright;

namespace OrderFulfillment.Console.Tests.Pages;

[Collection(ConsoleCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MachinesAndHealthPageTests(ConsoleSystem console)
{
    [Fact]
    public async Task The_diagram_page_renders_both_state_machines()
    {
        var page = await console.SignedInPageAsync();
        await page.GotoAsync("/machines");
        await Assertions.Expect(page.Locator("#order-machine svg")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#fulfillment-machine svg")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#order-machine svg")).ToContainTextAsync("PartiallyDelivered");
        await Assertions.Expect(page.Locator("#fulfillment-machine svg")).ToContainTextAsync("ready");
        await Assertions.Expect(page.Locator("#fulfillment-machine svg")).ToContainTextAsync("WarehouseShipped");
        await ConsoleSystem.ScreenshotAsync(page, "machines-1280");
        await page.SetViewportSizeAsync(800, 800);
        await ConsoleSystem.ScreenshotAsync(page, "machines-800");
    }

    [Fact]
    public async Task The_health_page_shows_both_services_and_the_queue_depths_and_refreshes_itself()
    {
        var page = await console.SignedInPageAsync();
        await page.GotoAsync("/health");
        await Assertions.Expect(page.Locator("section[data-service='order service'] .badge")).ToHaveTextAsync("ready");
        await Assertions.Expect(page.Locator("section[data-service='fulfillment service'] .badge")).ToHaveTextAsync("ready");
        await Assertions.Expect(page.Locator("#queues tr[data-queue='order-status']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#queues tr[data-queue='fulfillment']")).ToBeVisibleAsync();

        var first = await page.Locator("#checked-at").TextContentAsync();
        await Assertions.Expect(page.Locator("#checked-at")).Not.ToHaveTextAsync(first!, new() { Timeout = 10_000 });
        await ConsoleSystem.ScreenshotAsync(page, "health-1280");
        await page.SetViewportSizeAsync(800, 800);
        await ConsoleSystem.ScreenshotAsync(page, "health-800");
    }

    [Fact]
    public async Task Every_page_asks_for_the_operator_key()
    {
        var context = await console.Browser.NewContextAsync(new() { BaseURL = console.ConsoleProcess.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/failed");
        await page.WaitForURLAsync("**/login?*");
        await page.FillAsync("input[name=key]", "not-the-key");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator(".problem")).ToContainTextAsync("not the operator key");
        await ConsoleSystem.ScreenshotAsync(page, "login-refused-1280");
        await page.FillAsync("input[name=key]", ConsoleSystem.OperatorKey);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync("**/failed");
        await context.CloseAsync();
    }
}
