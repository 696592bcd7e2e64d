using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests.Cluster;

/// <summary>
/// What a plain consumer saw of a burst, counted the way the cluster test reports it. A redelivered copy (the same
/// event body twice: the outbox re-sent it, or the observer's queue redelivered it) is harmless and counted apart; a
/// duplicate applied is a change made twice (a status under two sequence numbers, an order status announced twice
/// at different times).
/// </summary>
public sealed record ClusterFigures(
    int Orders, int EventsExpected, int EventsSeen, int Lost, int DuplicatesApplied, int RedeliveredCopies, int Regressions, int OutOfOrder,
    int Delivered, TimeSpan Elapsed)
{
    static readonly string[] FulfillmentLifecycle = ["pending", "planning", "picking", "picked", "packing", "packed", "ready", "shipped", "completed"];
    static readonly string[] OrderRank = ["confirmed", "processing", "partially_shipped", "shipped", "partially_delivered", "delivered"];
    static readonly string[] OrderRequired = ["confirmed", "processing", "delivered"];

    public static ClusterFigures Of(IReadOnlyList<string> orderIds, IReadOnlyList<ObservedEvent> events, TimeSpan elapsed)
    {
        var ours = orderIds.ToHashSet();
        var fulfillmentEvents = events.Where(e => e.Exchange == "fulfillment.status_changed" && ours.Contains(e.Text("orderId")!)).ToList();
        var orderEvents = events.Where(e => e.Exchange == "order.status_changed" && ours.Contains(e.Text("orderId")!)).ToList();

        int lost = 0, duplicates = 0, regressions = 0, outOfOrder = 0;
        foreach (var order in orderIds)
        {
            var fulfillments = fulfillmentEvents.Where(e => e.Text("orderId") == order).GroupBy(e => e.Text("fulfillmentId")).ToList();
            lost += Math.Max(0, 2 - fulfillments.Count) * FulfillmentLifecycle.Length;
            foreach (var fulfillment in fulfillments)
            {
                // First arrival of each sequence number, in arrival order.
                var firsts = fulfillment.DistinctBy(e => e.Number("sequence")).ToList();
                lost += FulfillmentLifecycle.Length - firsts.Count(e => e.Number("sequence") is >= 1 and <= 9);
                duplicates += firsts.Count(e => e.Number("sequence") > FulfillmentLifecycle.Length);
                duplicates += fulfillment.GroupBy(e => e.Number("sequence")).Sum(g => g.Select(e => e.Body.ToString()).Distinct().Count() - 1);
                regressions += firsts.Count(e => e.Number("sequence") is >= 1 and <= 9 &&
                                                 e.Text("status") != FulfillmentLifecycle[e.Number("sequence") - 1]);
                outOfOrder += firsts.Zip(firsts.Skip(1)).Count(p => p.Second.Number("sequence") < p.First.Number("sequence"));
            }

            var statuses = orderEvents.Where(e => e.Text("orderId") == order).ToList();
            var firstStatuses = statuses.DistinctBy(e => e.Text("status")).ToList();
            lost += OrderRequired.Count(required => firstStatuses.All(e => e.Text("status") != required));
            duplicates += statuses.GroupBy(e => e.Text("status")).Sum(g => g.Select(e => e.Body.ToString()).Distinct().Count() - 1);
            var ranks = firstStatuses.Select(e => Array.IndexOf(OrderRank, e.Text("status"))).ToList();
            regressions += ranks.Zip(ranks.Skip(1)).Count(p => p.Second < p.First);
        }

        var distinct = fulfillmentEvents.Concat(orderEvents).Select(e => e.Exchange + e.Body).Distinct().Count();
        var delivered = orderEvents.Where(e => e.Text("status") == "delivered").Select(e => e.Text("orderId")).Distinct().Count();
        var expected = orderIds.Count * 2 * FulfillmentLifecycle.Length + orderEvents.Select(e => (e.Text("orderId"), e.Text("status"))).Distinct().Count();
        return new ClusterFigures(orderIds.Count, expected, distinct, lost, duplicates, fulfillmentEvents.Count + orderEvents.Count - distinct,
            regressions, outOfOrder, delivered, elapsed);
    }

    public override string ToString() =>
        $"orders {Orders}, events {EventsSeen} distinct of {EventsExpected} expected, lost {Lost}, duplicates applied {DuplicatesApplied} " +
        $"(redelivered copies {RedeliveredCopies}), regressions {Regressions}, out-of-order {OutOfOrder}, delivered {Delivered}/{Orders}, " +
        $"time {Elapsed.TotalSeconds:0.0} s";
}
