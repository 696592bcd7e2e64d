using OrderFulfillment.Contracts;
using OrderFulfillment.TestSupport.Schedules;

namespace OrderFulfillment.ScheduleExplorer.Tests;

/// <summary>What the contract requires of one schedule's run, and every way the run broke it.</summary>
public sealed record ScheduleOutcome(Schedule Schedule, IReadOnlyList<string> Violations)
{
    static readonly string[] OrderRank = ["confirmed", "processing", "partially_shipped", "shipped", "partially_delivered", "delivered"];

    public bool Passed => Violations.Count == 0;

    /// <summary>
    /// Checks the run: the contract's invariants, whatever the arrival order, then the model. A schedule with concurrent
    /// pairs passes when the run is the model's for one of the orders in which each pair may have taken effect; it
    /// reports the closest one otherwise.
    /// </summary>
    /// <param name="actualFaults">The deliveries that faulted, labelled as <see cref="ContractModel.DeliveryLabel"/> does.</param>
    public static ScheduleOutcome Check(Schedule schedule, IReadOnlyList<object> events, Guid[] fulfillmentIds, IReadOnlyList<string> actualFaults)
    {
        var pairs = schedule.Messages.Count(m => m.Kind == MessageKind.Concurrent);
        // Two instances publish what they commit each on its own: one's events may overtake the other's on the way.
        var inPublishOrder = pairs == 0;
        var orderEvents = events.OfType<OrderStatusChanged>().ToList();
        var announced = Enumerable.Range(0, fulfillmentIds.Length)
            .Select(f => events.OfType<FulfillmentStatusChanged>().Where(e => e.FulfillmentId == fulfillmentIds[f]).ToList())
            .ToList();

        var violations = new List<string>();
        violations.AddRange(OrderInvariants(inPublishOrder ? orderEvents : Chained(orderEvents)));
        for (var f = 0; f < fulfillmentIds.Length; f++)
            violations.AddRange(FulfillmentInvariants(schedule, f, announced[f], inPublishOrder));

        List<string>? closest = null;
        for (var secondFirst = 0; secondFirst < 1 << pairs && closest is not { Count: 0 }; secondFirst++)
        {
            var (model, expectedFaults) = ContractModel.Run(schedule, secondFirst);
            var against = AgainstModel(model, inPublishOrder ? orderEvents : Chained(orderEvents), announced, events, expectedFaults, actualFaults);
            if (closest is null || against.Count < closest.Count)
                closest = against;
        }

        if (closest!.Count > 0 && pairs > 0)
            closest.Add($"(the closest of the {1 << pairs} orders its concurrent pairs may take effect in)");
        return new ScheduleOutcome(schedule, [.. violations, .. closest]);
    }

    /// <summary>The order never regresses, nothing follows cancelled, and each change names the status it replaced.</summary>
    static IEnumerable<string> OrderInvariants(List<OrderStatusChanged> orderEvents)
    {
        for (var i = 0; i < orderEvents.Count; i++)
        {
            var expectedPrevious = i == 0 ? null : orderEvents[i - 1].Status;
            if (orderEvents[i].PreviousStatus != expectedPrevious)
                yield return $"order event {i + 1}: previousStatus {orderEvents[i].PreviousStatus ?? "null"}, expected {expectedPrevious ?? "null"}";
            if (i > 0 && orderEvents[i - 1].Status == "cancelled")
                yield return $"order event {i + 1}: a change after cancelled";
            if (i > 0 && orderEvents[i].Status != "cancelled" &&
                Array.IndexOf(OrderRank, orderEvents[i].Status) <= Array.IndexOf(OrderRank, orderEvents[i - 1].Status))
                yield return $"order event {i + 1}: {orderEvents[i - 1].Status} → {orderEvents[i].Status} regresses or repeats";
        }
    }

    /// <summary>
    /// A fulfillment's history: consecutive sequences from 1 (in publish order too, from one instance), statuses in
    /// lifecycle order (cancelled last), each naming the one it replaced, and no hole while no window ended.
    /// </summary>
    static IEnumerable<string> FulfillmentInvariants(Schedule schedule, int f, List<FulfillmentStatusChanged> published, bool inPublishOrder)
    {
        var announced = inPublishOrder ? published : [.. published.OrderBy(e => e.Sequence)];
        if (!announced.Select(e => e.Sequence).SequenceEqual(Enumerable.Range(1, announced.Count)))
            yield return $"fulfillment {f}: sequences [{string.Join(", ", announced.Select(e => e.Sequence))}] are not contiguous from 1";
        for (var i = 0; i < announced.Count; i++)
        {
            var previous = i == 0 ? null : announced[i - 1].Status;
            if (announced[i].PreviousStatus != previous)
                yield return $"fulfillment {f} event {i + 1}: previousStatus {announced[i].PreviousStatus ?? "null"}, expected {previous ?? "null"}";
            if (previous == "cancelled" ||
                (previous is not null && announced[i].Status != "cancelled" && ContractModel.Rank(announced[i].Status) <= ContractModel.Rank(previous)))
                yield return $"fulfillment {f} event {i + 1}: {previous} → {announced[i].Status} is not in lifecycle order";
        }

        // Until a window of this fulfillment ends (with a current token) or a cancellation releases its held steps, the
        // steps that arrived are announced without a hole: every status up to the last one whose predecessors all came.
        var boundary = Enumerable.Range(0, schedule.Messages.Count).FirstOrDefault(i => schedule.Messages[i].Deliveries.Any(m =>
            (m.Kind == MessageKind.WindowEnds && m.Fulfillment == f) || m.Kind == MessageKind.Cancel ||
            (m.Kind == MessageKind.Step && m.Fulfillment == f && m.Step == "cancelled")), schedule.Messages.Count);
        var arrived = schedule.Messages.Take(boundary).SelectMany(m => m.Deliveries)
            .Where(m => m.Kind == MessageKind.Step && m.Fulfillment == f).Select(m => ScheduleMessage.StatusOf(m.Step!)).ToHashSet();
        var whole = ContractModel.Lifecycle.TakeWhile((status, rank) => rank <= ContractModel.Rank("planning") || arrived.Contains(status)).ToList();
        if (!announced.Select(e => e.Status).Take(whole.Count).SequenceEqual(whole))
            yield return $"fulfillment {f}: announced [{string.Join(", ", announced.Select(e => e.Status))}] has a hole: " +
                         $"[{string.Join(", ", whole)}] all arrived before any window ended";
    }

    static List<string> AgainstModel(ContractModel model, List<OrderStatusChanged> orderEvents, List<List<FulfillmentStatusChanged>> announced,
        IReadOnlyList<object> events, List<string> expectedFaults, IReadOnlyList<string> actualFaults)
    {
        var violations = new List<string>();
        var statuses = orderEvents.Select(e => e.Status).ToList();
        if (!statuses.SequenceEqual(model.OrderStatuses))
            violations.Add($"order statuses [{string.Join(", ", statuses)}], model [{string.Join(", ", model.OrderStatuses)}]");
        for (var f = 0; f < model.Fulfillments.Count; f++)
        {
            var seen = announced[f].OrderBy(e => e.Sequence).Select(e => e.Status).ToList();
            if (!seen.SequenceEqual(model.Fulfillments[f].Announced))
                violations.Add($"fulfillment {f}: announced [{string.Join(", ", seen)}], model [{string.Join(", ", model.Fulfillments[f].Announced)}]" +
                               (model.Fulfillments[f].Held.Count > 0 ? $" (model holds [{string.Join(", ", model.Fulfillments[f].Held)}])" : ""));
        }

        var refusals = events.OfType<OrderCancellationRefused>().Count();
        if (refusals != model.Refusals)
            violations.Add($"{refusals} cancellation refusals, model {model.Refusals}");
        if (!actualFaults.SequenceEqual(expectedFaults))
            violations.Add($"faulted messages [{string.Join(", ", actualFaults)}], model [{string.Join(", ", expectedFaults)}]");
        return violations;
    }

    /// <summary>The order's changes in the order they were made, each following the one it names as previous (what does not chain is left at the end).</summary>
    static List<OrderStatusChanged> Chained(List<OrderStatusChanged> orderEvents)
    {
        var left = orderEvents.ToList();
        var chained = new List<OrderStatusChanged>();
        string? previous = null;
        while (left.FirstOrDefault(e => e.PreviousStatus == previous) is { } next)
        {
            chained.Add(next);
            left.Remove(next);
            previous = next.Status;
        }

        return [.. chained, .. left];
    }

    public override string ToString() =>
        $"{Schedule.Origin}: {(Passed ? "ok" : string.Join("; ", Violations))}\n  reproduce: {Schedule.Reproduction()}";
}
