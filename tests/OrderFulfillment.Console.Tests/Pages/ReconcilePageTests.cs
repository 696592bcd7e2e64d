using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OrderFulfillment.Contracts;
using Xunit.Abstractions;

namespace OrderFulfillment.Console.Tests.Pages;

/// <summary>
/// A fulfillment.status_changed lost on its way (purged from <c>order-status</c> while the order service is down, as
/// ReconcileTests does for ofctl): the console's own sweep (every 2 s here) flags it on <c>/metrics</c>, in one Warning
/// line and on <c>/reconcile</c>; the page's Repair has it announced again, and the next sweep finds nothing.
/// </summary>
[Collection(ConsoleCollection.Name)]
[Trait("Category", "Integration")]
public sealed partial class ReconcilePageTests(ConsoleSystem console, ITestOutputHelper output)
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_lost_status_change_is_flagged_by_the_sweep_repaired_from_the_page_and_then_gone()
    {
        var system = console.System;
        var orderId = "ORD-R" + Guid.NewGuid().ToString("N")[..8];
        var east = DeterministicId.ForFulfillment(orderId, "WH-EAST");
        await system.Amqp.PublishAsync(OrderConfirmed.Exchange, new
        {
            orderId,
            confirmedAt = DateTimeOffset.UtcNow,
            lines = new[] { new { sku = "SKU-1", quantity = 2, warehouseId = "WH-EAST" }, new { sku = "SKU-2", quantity = 1, warehouseId = "WH-WEST" } },
        }, "checkout-" + orderId);
        await WaitForTrackedAsync(orderId, east, FulfillmentStatuses.Planning, 2);

        // The order service is down while picking starts; its fulfillment.status_changed is purged from order-status.
        await system.Orders.KillAsync();
        await system.Amqp.PublishAsync(WarehousePickingStarted.Exchange, new { fulfillmentId = east, occurredAt = DateTimeOffset.UtcNow }, "wms-picking-" + orderId);
        await system.Amqp.WaitForQueueAsync("order-status", 1, Wait);
        var purged = await system.Amqp.EmptyAsync("order-status");
        output.WriteLine($"purged {purged} message(s) from order-status with the order service stopped");
        await system.Orders.StartAsync();

        // Flagged by the periodic sweep: the gauge, one Warning line, and the page.
        var driftLine = $"Drift: order {orderId} fulfillment {east}: order service has planning (sequence 2), fulfillment service has picking (sequence 3)";
        await UntilAsync(async () => (await MetricsAsync()).Drift("true") >= 1, "orderfulfillment_reconcile_drift{repairable=\"true\"} at 1 or more");
        var flagged = await MetricsAsync();
        output.WriteLine($"flagged: drift {flagged.Drift("true")} repairable, {flagged.Drift("false")} not; {flagged.CompletedSweeps} sweeps completed");
        // Two more sweeps that find the same drift log nothing more about it.
        await UntilAsync(async () => (await MetricsAsync()).CompletedSweeps >= flagged.CompletedSweeps + 2, "two more sweeps");
        var warnings = ConsoleLog().Where(l => l.Contains(" warn: OrderFulfillment.Reconciliation[9301] ", StringComparison.Ordinal)
                                               && l.Contains($"fulfillment {east}", StringComparison.Ordinal)).ToList();
        output.WriteLine(string.Join("\n", warnings));
        Assert.Single(warnings);
        Assert.Contains(driftLine, warnings[0], StringComparison.Ordinal);
        Assert.Equal(1, (await MetricsAsync()).Drift("true"));

        var page = await console.SignedInPageAsync();
        await page.GotoAsync("/reconcile");
        await Assertions.Expect(page.Locator("nav a.active")).ToHaveTextAsync("Reconciliation");
        var row = page.Locator("#drifts tbody tr", new() { HasText = orderId });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync(east.ToString());
        await Assertions.Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("planning · sequence 2");
        await Assertions.Expect(row.Locator("td").Nth(3)).ToHaveTextAsync("picking · sequence 3");
        await ConsoleSystem.ScreenshotAsync(page, "reconcile-drift-1280");
        await page.SetViewportSizeAsync(800, 800);
        await ConsoleSystem.ScreenshotAsync(page, "reconcile-drift-800");
        await page.SetViewportSizeAsync(1280, 800);

        // Repair: the fulfillment service announces it again, and the order service takes it.
        await row.Locator("button.repair").ClickAsync();
        await Assertions.Expect(page.Locator("#repair-outcome")).ToContainTextAsync($"announce fulfillment {east} of order {orderId} again (picking, sequence 3)");
        await ConsoleSystem.ScreenshotAsync(page, "reconcile-repaired-1280");
        var order = await WaitForTrackedAsync(orderId, east, FulfillmentStatuses.Picking, 3);
        Assert.Equal(OrderStatuses.Processing, order.GetProperty("status").GetString());

        // The next sweep finds nothing.
        await page.ClickAsync("#sweep-now");
        await Assertions.Expect(page.Locator("#no-drift")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#drifts")).ToHaveCountAsync(0);
        var after = await MetricsAsync();
        Assert.Equal(0, after.Drift("true"));
        Assert.Equal(0, after.Drift("false"));
        Assert.Contains(ConsoleLog(), l => l.Contains(" info: OrderFulfillment.Reconciliation[9304] ", StringComparison.Ordinal)
                                           && l.Contains($"order {orderId} fulfillment {east} again (picking, sequence 3)", StringComparison.Ordinal));
        Assert.Single(ConsoleLog(), l => l.Contains(" info: OrderFulfillment.Reconciliation[9302] ", StringComparison.Ordinal)
                                         && l.Contains($"order {orderId} fulfillment {east}: the services agree again", StringComparison.Ordinal));
        Assert.DoesNotContain(ConsoleLog(), l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal));
    }

    IEnumerable<string> ConsoleLog() => console.ConsoleProcess.Log;

    async Task<ReconcileMetrics> MetricsAsync()
    {
        using var http = console.ConsoleProcess.Http();
        return new ReconcileMetrics(await http.GetStringAsync("metrics"));
    }

    Task<System.Text.Json.JsonElement> WaitForTrackedAsync(string orderId, Guid fulfillmentId, string status, int sequence) =>
        ConsoleSystem.WaitForJsonAsync(console.System.Orders, $"orders/{orderId}", order => order.GetProperty("fulfillments").EnumerateArray()
                .Any(f => f.GetProperty("fulfillmentId").GetGuid() == fulfillmentId && f.GetProperty("status").GetString() == status
                          && f.GetProperty("sequence").GetInt32() == sequence),
            $"order {orderId} tracking {fulfillmentId} at {status} ({sequence})");

    static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(what);
            await Task.Delay(250); // the interval of a poll of the page, which has no event to await
        }
    }

    /// <summary>The console's reconciliation series in one scrape of its <c>/metrics</c>.</summary>
    sealed partial class ReconcileMetrics(string text)
    {
        /// <summary><c>orderfulfillment_reconcile_drift</c> for <c>repairable</c>; -1 when there is no such series.</summary>
        public int Drift(string repairable) =>
            DriftSample().Matches(text).Where(m => m.Groups["repairable"].Value == repairable)
                .Select(m => int.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Single();

        public int CompletedSweeps =>
            CompletedSample().Match(text) is { Success: true } match ? (int)double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture) : 0;

        [GeneratedRegex("""^orderfulfillment_reconcile_drift\{[^}]*repairable="(?<repairable>\w+)"[^}]*\} (?<value>\d+)""", RegexOptions.Multiline)]
        private static partial Regex DriftSample();

        [GeneratedRegex("""^orderfulfillment_reconcile_sweeps_total\{[^}]*outcome="completed"[^}]*\} (?<value>[\d.e+]+)""", RegexOptions.Multiline)]
        private static partial Regex CompletedSample();
    }
}
