using System.Collections.Concurrent;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>
/// A burst of two-warehouse orders driven through their whole lifecycle by plain AMQP producers, the way a checkout,
/// a WMS and a carrier would: each warehouse step is sent once the previous status has been announced, and a
/// delivery once the fulfillment has shipped. Then the checks of the contract over what a plain consumer observed.
/// </summary>
public sealed class Burst(PlainAmqp amqp, EventLog events, int orders, string prefix)
{
    public Burst(SystemUnderTest system, EventLog events, int orders, string prefix)
        : this(system.Amqp, events, orders, prefix)
    {
    }

    static readonly (string Status, string Step)[] NextStep =
    [
        ("planning", "warehouse.picking_started"), ("picking", "warehouse.picked"), ("picked", "warehouse.packing_started"),
        ("packing", "warehouse.packed"), ("packed", "warehouse.ready_to_ship"), ("ready", "warehouse.shipped"), ("shipped", "warehouse.completed"),
    ];

    static readonly string[] OrderRank = ["confirmed", "processing", "partially_shipped", "shipped", "partially_delivered", "delivered"];

    readonly ConcurrentDictionary<string, bool> _sent = new();

    public IReadOnlyList<string> OrderIds { get; } = Enumerable.Range(1, orders).Select(i => $"{prefix}-{i:D4}").ToList();
    public int Published => _sent.Count;

    public async Task PublishOrdersAsync()
    {
        foreach (var orderId in OrderIds)
            await PublishOnceAsync($"confirm:{orderId}", "order.confirmed", new
            {
                orderId,
                confirmedAt = DateTimeOffset.UtcNow,
                lines = new object[] { new { sku = "SKU-1", quantity = 2, warehouseId = "WH-EAST" }, new { sku = "SKU-2", quantity = 1, warehouseId = "WH-WEST" } },
            }, messageId: $"checkout-{orderId}");
    }

    /// <summary>Reacts to the announced statuses until every order is delivered; <paramref name="onRound"/> runs between rounds.</summary>
    public async Task DriveUntilDeliveredAsync(TimeSpan timeout, Func<Task>? onRound = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Delivered() < OrderIds.Count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Delivered()} of {OrderIds.Count} orders delivered after {timeout.TotalSeconds:0} s");
            foreach (var (fulfillmentId, orderId, status) in LatestFulfillmentStatuses())
            {
                var next = NextStep.FirstOrDefault(n => n.Status == status).Step;
                if (next is not null)
                {
                    object body = next == "warehouse.shipped"
                        ? new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow, carrier = "UPS", trackingNumber = "1Z" + fulfillmentId[..8] }
                        : new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow };
                    await PublishOnceAsync($"{next}:{fulfillmentId}", next, body);
                }

                if (status is "shipped" or "completed")
                    await PublishOnceAsync($"delivery:{fulfillmentId}", "delivery.confirmed",
                        new { orderId, fulfillmentId, deliveredAt = DateTimeOffset.UtcNow, carrier = "UPS", trackingNumber = "1Z" + fulfillmentId[..8] });
            }

            if (onRound is not null)
                await onRound();
            await Task.Delay(100); // the producers' pace between rounds of reading the announced statuses
        }
    }

    public int Delivered() =>
        events.Events.Where(e => e.Exchange == "order.status_changed" && e.Text("status") == "delivered").Select(e => e.Text("orderId")).Distinct().Count();

    IEnumerable<(string FulfillmentId, string OrderId, string Status)> LatestFulfillmentStatuses() =>
        events.Events.Where(e => e.Exchange == "fulfillment.status_changed")
            .GroupBy(e => e.Text("fulfillmentId")!)
            .Select(g => g.MaxBy(e => e.Number("sequence"))!)
            .Select(e => (e.Text("fulfillmentId")!, e.Text("orderId")!, e.Text("status")!));

    /// <summary>The producer's own at-least-once: a publish that fails (broker restarting) is tried again until confirmed.</summary>
    async Task PublishOnceAsync(string key, string exchange, object body, string? messageId = null)
    {
        if (_sent.ContainsKey(key))
            return;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await amqp.PublishAsync(exchange, body, messageId ?? key);
                _sent[key] = true;
                return;
            }
            catch (Exception) when (attempt < 120)
            {
                await Task.Delay(500); // the producer's interval between attempts while the broker restarts
            }
        }
    }

    /// <summary>The contract's checks over everything the plain consumer saw.</summary>
    public BurstReport Check()
    {
        var all = events.Events;
        var fulfillmentEvents = all.Where(e => e.Exchange == "fulfillment.status_changed").ToList();
        var orderEvents = all.Where(e => e.Exchange == "order.status_changed").ToList();

        var distinctFulfillment = fulfillmentEvents.Select(e => (e.Text("fulfillmentId"), e.Number("sequence"))).Distinct().Count();
        var distinctOrder = orderEvents.Select(e => (e.Text("orderId"), e.Text("status"))).Distinct().Count();
        var problems = new List<string>();

        foreach (var order in OrderIds)
        {
            var fulfillments = fulfillmentEvents.Where(e => e.Text("orderId") == order).GroupBy(e => e.Text("fulfillmentId")).ToList();
            if (fulfillments.Count != 2)
                problems.Add($"{order}: {fulfillments.Count} fulfillments");
            foreach (var f in fulfillments)
            {
                var sequences = f.Select(e => e.Number("sequence")).Distinct().Order().ToList();
                if (!sequences.SequenceEqual(Enumerable.Range(1, 9)))
                    problems.Add($"{order}/{f.Key}: sequences {string.Join(",", sequences)}");
                if (f.GroupBy(e => e.Number("sequence")).Any(g => g.Select(e => e.Text("status")).Distinct().Count() > 1))
                    problems.Add($"{order}/{f.Key}: one sequence number with two statuses");
            }
        }

        var regressions = 0;
        foreach (var order in OrderIds)
        {
            var ranks = orderEvents.Where(e => e.Text("orderId") == order).Select(e => Array.IndexOf(OrderRank, e.Text("status"))).ToList();
            for (var i = 1; i < ranks.Count; i++)
                if (ranks[i] < ranks[i - 1])
                    regressions++;
            foreach (var required in new[] { "confirmed", "processing", "delivered" })
                if (!ranks.Contains(Array.IndexOf(OrderRank, required)))
                    problems.Add($"{order}: never {required}");
        }

        return new BurstReport(
            OrderIds.Count,
            OrderIds.Count * 2 * 9,
            distinctFulfillment,
            distinctOrder,
            fulfillmentEvents.Count - distinctFulfillment + (orderEvents.Count - distinctOrder),
            regressions,
            problems);
    }
}

public sealed record BurstReport(
    int Orders, int FulfillmentEventsExpected, int FulfillmentEventsSeen, int OrderStatusEvents, int DuplicateEvents, int Regressions,
    IReadOnlyList<string> Problems)
{
    public override string ToString() =>
        $"orders {Orders}, fulfillment events expected {FulfillmentEventsExpected}, seen {FulfillmentEventsSeen} distinct, " +
        $"order status events {OrderStatusEvents} distinct, {DuplicateEvents} redelivered duplicates (same message, acknowledged without effect), " +
        $"regressions {Regressions}, problems {Problems.Count}" + (Problems.Count > 0 ? ":\n  " + string.Join("\n  ", Problems.Take(20)) : "");
}
