using OrderFulfillment.Contracts;
using OrderFulfillment.TestSupport.Schedules;

namespace OrderFulfillment.ScheduleExplorer.Tests;

/// <summary>What the contract requires of one schedule's run, and every way the run broke it.</summary>
public sealed record ScheduleOutcome(Schedule Schedule, IReadOnlyList<string> Violations)
{
    static readonly string[] OrderRank = ["confirmed", "processing", "partially_shipped", "shipped", "partially_delivered", "delivered"];

    public bool Passed => Violations.Count == 0;

    public static ScheduleOutcome Check(Schedule schedule, ContractModel model, IReadOnlyList<object> events, Guid[] fulfillmentIds,
        List<int> expectedFaults, List<int> actualFaults)
    {
        var violations = new List<string>();

        var orderEvents = events.OfType<OrderStatusChanged>().ToList();
        var statuses = orderEvents.Select(e => e.Status).ToList();
        if (!statuses.SequenceEqual(model.OrderStatuses))
            violations.Add($"order statuses [{string.Join(", ", statuses)}], model [{string.Join(", ", model.OrderStatuses)}]");
        for (var i = 0; i < orderEvents.Count; i++)
        {
            var expectedPrevious = i == 0 ? null : orderEvents[i - 1].Status;
            if (orderEvents[i].PreviousStatus != expectedPrevious)
                violations.Add($"order event {i + 1}: previousStatus {orderEvents[i].PreviousStatus ?? "null"}, expected {expectedPrevious ?? "null"}");
            if (i > 0 && orderEvents[i - 1].Status == "cancelled")
                violations.Add($"order event {i + 1}: a change after cancelled");
            if (i > 0 && orderEvents[i].Status != "cancelled" &&
                Array.IndexOf(OrderRank, orderEvents[i].Status) <= Array.IndexOf(OrderRank, orderEvents[i - 1].Status))
                violations.Add($"order event {i + 1}: {orderEvents[i - 1].Status} → {orderEvents[i].Status} regresses or repeats");
        }

        for (var f = 0; f < model.Fulfillments.Count; f++)
        {
            var announced = events.OfType<FulfillmentStatusChanged>().Where(e => e.FulfillmentId == fulfillmentIds[f]).ToList();
            if (!announced.Select(e => e.Sequence).SequenceEqual(Enumerable.Range(1, announced.Count)))
                violations.Add($"fulfillment {f}: sequences [{string.Join(", ", announced.Select(e => e.Sequence))}] are not contiguous from 1");
            var seen = announced.OrderBy(e => e.Sequence).Select(e => e.Status).ToList();
            if (!seen.SequenceEqual(model.Fulfillments[f].Announced))
                violations.Add($"fulfillment {f}: announced [{string.Join(", ", seen)}], model [{string.Join(", ", model.Fulfillments[f].Announced)}]");
        }

        var refusals = events.OfType<OrderCancellationRefused>().Count();
        if (refusals != model.Refusals)
            violations.Add($"{refusals} cancellation refusals, model {model.Refusals}");
        if (!actualFaults.SequenceEqual(expectedFaults))
            violations.Add($"faulted messages [{string.Join(", ", actualFaults)}], model [{string.Join(", ", expectedFaults)}]");

        return new ScheduleOutcome(schedule, violations);
    }

    public override string ToString() =>
        $"{Schedule.Origin}: {(Passed ? "ok" : string.Join("; ", Violations))}\n  reproduce: {Schedule.Reproduction()}";
}
