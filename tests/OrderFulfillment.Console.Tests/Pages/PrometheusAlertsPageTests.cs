using System.Globalization;
using Microsoft.Playwright;

namespace OrderFulfillment.Console.Tests.Pages;

/// <summary>
/// README's screenshot of Prometheus's alerts page with MessageDeadLettered firing: its own services, console and
/// Prometheus (so the dead letter does not reach the other page tests' error queues), the collection's browser.
/// </summary>
[Collection(ConsoleCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Monitoring")]
public sealed class PrometheusAlertsPageTests(ConsoleSystem console)
{
    [Fact]
    public async Task Prometheus_shows_MessageDeadLettered_firing_after_a_dead_letter()
    {
        await using var system = await SystemUnderTest.StartAsync("alerts-page");
        var environment = system.Infrastructure.BrokerEnvironment();
        environment["RabbitMq__ManagementPort"] = TestInfrastructure.ManagementPort.ToString(CultureInfo.InvariantCulture);
        environment["Console__ApiKey"] = ConsoleSystem.OperatorKey;
        environment["Console__OrderService"] = system.Orders.BaseAddress.ToString();
        environment["Console__FulfillmentService"] = system.Fulfillments.BaseAddress.ToString();
        await using var consoleProcess = await ServiceProcess.StartAsync("OrderFulfillment.Console", environment);
        await using var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, Uri>
        {
            ["order-service:8080"] = system.Orders.BaseAddress,
            ["fulfillment-service:8080"] = system.Fulfillments.BaseAddress,
            ["console:8080"] = consoleProcess.BaseAddress,
        });

        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD-PAGE-1", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [] }""", messageId: "page-invalid");
        await prometheus.WaitForAlertAsync(a => a.GetProperty("labels").GetProperty("alertname").GetString() == "MessageDeadLettered"
            && a.GetProperty("state").GetString() == "firing", TimeSpan.FromSeconds(60), "MessageDeadLettered firing");

        var context = await console.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        // Debian's package serves the classic UI only (/classic/alerts); an upstream build serves /alerts.
        var response = await page.GotoAsync(new Uri(prometheus.BaseAddress, "alerts").ToString());
        if (response?.Status == 404)
            await page.GotoAsync(new Uri(prometheus.BaseAddress, "classic/alerts").ToString());
        var rule = page.GetByText("MessageDeadLettered", new() { Exact = false }).First;
        await Assertions.Expect(rule).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("firing");
        await rule.ClickAsync();
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("InvalidMessageException");
        await ConsoleSystem.ScreenshotAsync(page, "prometheus-alerts-dead-letter");
        await context.DisposeAsync();
    }
}
