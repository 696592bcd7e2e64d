using System.Text.Json;
using OrderFulfillment.Contracts;
using OrderFulfillment.Operations.Connections;

namespace OrderFulfillment.Operations.Reconciliation;

/// <summary>One fulfillment the two services disagree on: what the order service tracks and what the fulfillment service holds.</summary>
public sealed record Drift(string OrderId, Guid FulfillmentId, string? OrderServiceStatus, int OrderServiceSequence, string FulfillmentStatus,
    int FulfillmentSequence)
{
    /// <summary>The order service is behind: announcing the fulfillment's last sequence again brings it up to date.</summary>
    public bool Repairable => FulfillmentSequence > OrderServiceSequence;

    public override string ToString() =>
        $"order {OrderId} fulfillment {FulfillmentId}: order service has {OrderServiceStatus ?? "nothing"} (sequence {OrderServiceSequence}), " +
        $"fulfillment service has {FulfillmentStatus} (sequence {FulfillmentSequence})" + (Repairable ? "" : "; the order service is ahead, not repairable by an announcement");
}

/// <summary>What a sweep found, and which drifts it asked the fulfillment service to announce again.</summary>
public sealed record ReconcileReport(int OrdersChecked, IReadOnlyList<Drift> Drifts, IReadOnlyList<Drift> Repaired);

/// <summary>
/// A repair of one fulfillment, from a comparison made just before it: the drift found then (none when the two
/// services agree by now), and whether the fulfillment service accepted to announce it again.
/// </summary>
public sealed record RepairAttempt(Drift? Drift, bool Announced);

/// <summary>
/// The reconciliation sweep (docs/operations.md, "Reconciliation"): every open order's fulfillments as the order
/// service tracks them (status and sequence) against the fulfillment service's own, through both status APIs. A
/// repair asks the fulfillment service to announce the fulfillment again with its last sequence; the order service
/// applies what is new to it and ignores the rest, so a repair can be repeated and never moves an order back.
/// </summary>
public sealed class Reconciler(ServiceApi services)
{
    const int PageSize = 500;

    /// <summary>Compares, and when <paramref name="repair"/> asks the fulfillment service to announce each repairable drift again.</summary>
    public async Task<ReconcileReport> SweepAsync(bool repair, CancellationToken ct)
    {
        var drifts = new List<Drift>();
        var checkedOrders = 0;
        foreach (var status in OrderStatuses.Progression.Where(s => s != OrderStatuses.Delivered))
        {
            string? after = null;
            do
            {
                var page = await services.ListOrdersAsync(status, after, PageSize, null, ct);
                foreach (var summary in page.Items("orders"))
                {
                    checkedOrders++;
                    drifts.AddRange(await CompareAsync(summary.Text("orderId")!, ct));
                }

                after = page.Text("next");
            } while (after is not null);
        }

        var repaired = new List<Drift>();
        if (repair)
        {
            foreach (var drift in drifts)
            {
                if (await AnnounceAsync(drift, ct))
                    repaired.Add(drift);
            }
        }

        return new ReconcileReport(checkedOrders, drifts, repaired);
    }

    /// <summary>
    /// Compares one fulfillment of <paramref name="orderId"/> again and, when the order service is still behind on it,
    /// asks the fulfillment service to announce it again (what a sweep with repair does for each drift it finds).
    /// </summary>
    public async Task<RepairAttempt> RepairAsync(string orderId, Guid fulfillmentId, CancellationToken ct)
    {
        var drift = (await CompareAsync(orderId, ct)).FirstOrDefault(d => d.FulfillmentId == fulfillmentId);
        return new RepairAttempt(drift, drift is not null && await AnnounceAsync(drift, ct));
    }

    Task<bool> AnnounceAsync(Drift drift, CancellationToken ct) =>
        drift.Repairable ? services.AnnounceFulfillmentAsync(drift.FulfillmentId, ct) : Task.FromResult(false);

    /// <summary>The fulfillments of one order the two services disagree on, as their status APIs answer now.</summary>
    public async Task<IReadOnlyList<Drift>> CompareAsync(string orderId, CancellationToken ct)
    {
        if (await services.GetOrderAsync(orderId, ct) is not { } order
            || await services.GetOrderFulfillmentsAsync(orderId, ct) is not { ValueKind: JsonValueKind.Array } own)
            return [];
        var tracked = order.Items("fulfillments")
            .Where(f => f.TryGetProperty("fulfillmentId", out var id) && id.TryGetGuid(out _))
            .ToDictionary(f => f.GetProperty("fulfillmentId").GetGuid());
        var drifts = new List<Drift>();
        foreach (var fulfillment in own.EnumerateArray())
        {
            var id = fulfillment.GetProperty("fulfillmentId").GetGuid();
            var status = fulfillment.Text("status")!;
            var sequence = fulfillment.Number("sequence") ?? 0;
            var known = tracked.GetValueOrDefault(id);
            var knownSequence = known.ValueKind == JsonValueKind.Object ? known.Number("sequence") ?? 0 : 0;
            var knownStatus = known.ValueKind == JsonValueKind.Object && knownSequence > 0 ? known.Text("status") : null;
            if (knownSequence != sequence || (knownStatus is not null && knownStatus != status))
                drifts.Add(new Drift(orderId, id, knownStatus, knownSequence, status, sequence));
        }

        return drifts;
    }
}
