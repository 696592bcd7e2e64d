using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>
/// A WMS as the fault tests drive it over plain AMQP: two-warehouse orders confirmed and planned, then each warehouse step
/// for every fulfillment in rounds, with a fault begun right after the first round.
/// </summary>
internal static class WarehouseRounds
{
    public static readonly string[] Steps =
        ["warehouse.picking_started", "warehouse.picked", "warehouse.packing_started", "warehouse.packed", "warehouse.ready_to_ship", "warehouse.shipped", "warehouse.completed"];

    /// <summary>Confirms <paramref name="orders"/> orders with a line for WH-EAST and one for WH-WEST; returns their fulfillments once all are planning.</summary>
    public static async Task<List<string>> PlanTwoWarehouseOrdersAsync(PlainAmqp amqp, EventLog events, string prefix, int orders)
    {
        foreach (var orderId in Enumerable.Range(1, orders).Select(i => $"{prefix}-{i:D3}"))
            await amqp.PublishAsync("order.confirmed", new
            {
                orderId,
                confirmedAt = DateTimeOffset.UtcNow,
                lines = new object[] { new { sku = "SKU-1", quantity = 2, warehouseId = "WH-EAST" }, new { sku = "SKU-2", quantity = 1, warehouseId = "WH-WEST" } },
            }, $"checkout-{orderId}");
        await events.WaitForAsync(e => FulfillmentsAt(e, "planning").Count == orders * 2, TimeSpan.FromMinutes(1), "every fulfillment planning");
        return FulfillmentsAt(events.Events, "planning");
    }

    /// <summary>
    /// Publishes every step for every fulfillment, one round every <paramref name="interval"/>, and runs
    /// <paramref name="startFault"/> right after the first round, so that round is in the services' hands when the fault
    /// begins and the others arrive during it. Returns how many steps were published after the fault began.
    /// </summary>
    public static async Task<int> PublishWithFaultAfterFirstRoundAsync(PlainAmqp amqp, IReadOnlyList<string> fulfillmentIds, TimeSpan interval,
        Func<Task> startFault)
    {
        var publishedDuringFault = 0;
        foreach (var step in Steps)
        {
            foreach (var fulfillmentId in fulfillmentIds)
                await amqp.PublishAsync(step, StepBody(step, fulfillmentId), $"{step}:{fulfillmentId}");
            if (step == Steps[0])
                await startFault();
            else
                publishedDuringFault += fulfillmentIds.Count;
            if (step != Steps[^1])
                await Task.Delay(interval); // the WMS's pace between rounds, which spreads the rounds over the fault
        }

        return publishedDuringFault;
    }

    /// <summary>A step's body as the WMS sends it; a shipment names its carrier and tracking number.</summary>
    public static object StepBody(string step, string fulfillmentId) => step == "warehouse.shipped"
        ? new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow, carrier = "UPS", trackingNumber = "1Z" + fulfillmentId[..8] }
        : new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow };

    /// <summary>The fulfillments announced (<c>fulfillment.status_changed</c>) in <paramref name="status"/>.</summary>
    public static List<string> FulfillmentsAt(IReadOnlyList<ObservedEvent> events, string status) =>
        events.Where(e => e.Exchange == "fulfillment.status_changed" && e.Text("status") == status)
            .Select(e => e.Text("fulfillmentId")!).Distinct().ToList();
}
