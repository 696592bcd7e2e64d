using System.Net;
using Microsoft.Playwright;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Console.Tests.Pages;

/// <summary>The operator key in <c>X-Api-Key</c> for scripts, beside the login; an order page's link to its trace.</summary>
[Collection(ConsoleCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ScriptAccessAndTraceLinkTests(ConsoleSystem console)
{
    [Fact]
    public async Task A_script_reads_pages_with_the_operator_key_in_X_Api_Key_and_a_wrong_key_gets_401()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = console.ConsoleProcess.BaseAddress };

        using var withKey = new HttpRequestMessage(HttpMethod.Get, "/failed");
        withKey.Headers.Add("X-Api-Key", ConsoleSystem.OperatorKey);
        using var ok = await http.SendAsync(withKey);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("Failed messages", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var wrongKey = new HttpRequestMessage(HttpMethod.Get, "/failed");
        wrongKey.Headers.Add("X-Api-Key", "not-the-operator-key");
        using var refused = await http.SendAsync(wrongKey);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // Without the header a browser is still sent to the login.
        using var anonymous = await http.GetAsync("/failed");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/login", anonymous.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_order_page_links_to_the_orders_trace_in_the_trace_UI()
    {
        var orderId = "ORD-T" + Guid.NewGuid().ToString("N")[..8];
        await console.System.Amqp.PublishAsync(OrderConfirmed.Exchange,
            new { orderId, confirmedAt = DateTimeOffset.UtcNow, lines = new[] { new { sku = "SKU-1", quantity = 1, warehouseId = "WH-EAST" } } }, "checkout-" + orderId);
        await ConsoleSystem.WaitForJsonAsync(console.System.Orders, $"orders/{orderId}", o => o.GetProperty("status").GetString() == OrderStatuses.Processing, "order processing");

        var page = await console.SignedInPageAsync();
        await page.GotoAsync($"/orders/{orderId}");
        var link = page.Locator("#order-trace");
        await Assertions.Expect(link).ToBeVisibleAsync();
        var href = Uri.UnescapeDataString(await link.GetAttributeAsync("href") ?? "");
        Assert.StartsWith(ConsoleSystem.TraceUi + "/search?service=order-service", href, StringComparison.Ordinal);
        Assert.Contains($"\"messaging.masstransit.saga_id\":\"{DeterministicId.ForOrder(orderId):D}\"", href, StringComparison.Ordinal);
    }
}
