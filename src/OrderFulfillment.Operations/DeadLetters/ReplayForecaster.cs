using System.Text.Json;
using OrderFulfillment.Contracts;
using OrderFulfillment.Operations.Connections;

namespace OrderFulfillment.Operations.DeadLetters;

/// <summary>What a replay did, or (dry run) would do now: duplicate, stale, applied, would fail, or replayed.</summary>
public sealed record ReplayOutcome(string Outcome, string Detail)
{
    public const string Duplicate = "duplicate";
    public const string Stale = "stale";
    public const string Applied = "applied";
    public const string WouldFail = "would fail";
    public const string Replayed = "replayed";
    public const string Discarded = "discarded";

    public override string ToString() => Outcome == WouldFail ? $"{Outcome}: {Detail}" : Outcome;
}

/// <summary>
/// Predicts, from the services' current state, what replaying a dead-lettered message would do now, the way the sagas
/// decide: a warehouse step against its fulfillment's status, a confirmation against the order, a delivery against the
/// order's fulfillment.
/// </summary>
public sealed class ReplayForecaster(ServiceApi api)
{
    /// <summary>Failures that come from the message itself: a replay of the same bytes fails the same way.</summary>
    static readonly string[] InvalidMessageReasons = ["InvalidMessageException", "JsonException", "SerializationException", "FormatException"];

    public async Task<ReplayOutcome> ForecastAsync(DeadLetter letter, CancellationToken ct)
    {
        if (letter.Body.ValueKind == JsonValueKind.Undefined)
            return new(ReplayOutcome.WouldFail, "the body is not UTF-8 JSON; fix the producer and publish it again");
        if (InvalidMessageReasons.Contains(letter.ShortExceptionType))
            return new(ReplayOutcome.WouldFail, $"the message itself is invalid ({letter.ShortExceptionType}); fix the producer and publish it again");

        if (WarehouseSteps.ByExchange(letter.MessageType) is { } step)
            return await WarehouseStepAsync(step, letter, ct);
        return letter.MessageType switch
        {
            OrderConfirmed.Exchange => await OrderConfirmedAsync(letter, ct),
            DeliveryConfirmed.Exchange => await DeliveryConfirmedAsync(letter, ct),
            _ => new(ReplayOutcome.Applied, $"unknown: no prediction for {letter.MessageType ?? "an untyped message"}"),
        };
    }

    async Task<ReplayOutcome> WarehouseStepAsync(WarehouseStep step, DeadLetter letter, CancellationToken ct)
    {
        if (letter.FulfillmentId is not { } id)
            return new(ReplayOutcome.WouldFail, "no fulfillmentId in the message");
        if (await api.GetFulfillmentAsync(id, ct) is not { } fulfillment)
            return new(ReplayOutcome.WouldFail, "unknown fulfillment");

        var current = fulfillment.Text("status") ?? "";
        // The status a cancelled fulfillment was cancelled from: the previous status of its cancelled entry.
        var cancelledFrom = current == FulfillmentStatuses.Cancelled
            ? fulfillment.Items("history").LastOrDefault(h => h.Text("status") == FulfillmentStatuses.Cancelled).Text("previousStatus")
            : null;
        var target = step.Status;
        return FulfillmentSteps.Outcome(current, target, cancelledFrom) switch
        {
            StepOutcome.Applied => new(ReplayOutcome.Applied, $"{current} → {target}"),
            StepOutcome.AlreadyThere => new(ReplayOutcome.Duplicate, $"the fulfillment is already {current}"),
            StepOutcome.Passed when cancelledFrom is not null => new(ReplayOutcome.Stale, $"cancelled from {cancelledFrom}, which is past {target}"),
            StepOutcome.Passed => new(ReplayOutcome.Stale, $"the fulfillment is {current}, past {target}"),
            _ when current == FulfillmentStatuses.Cancelled => new(ReplayOutcome.WouldFail, $"the fulfillment was cancelled (from {cancelledFrom ?? "?"})"),
            _ => new(ReplayOutcome.WouldFail, $"the fulfillment is {current}: {target} is refused"),
        };
    }

    async Task<ReplayOutcome> OrderConfirmedAsync(DeadLetter letter, CancellationToken ct)
    {
        if (letter.OrderId is not { } orderId || !OrderIds.IsValid(orderId))
            return new(ReplayOutcome.WouldFail, "no valid orderId in the message");
        return await api.GetOrderAsync(orderId, ct) is { } order
            ? new(ReplayOutcome.Duplicate, $"order {orderId} exists ({order.Text("status")})")
            : new(ReplayOutcome.Applied, $"order {orderId} is new");
    }

    async Task<ReplayOutcome> DeliveryConfirmedAsync(DeadLetter letter, CancellationToken ct)
    {
        if (letter.OrderId is not { } orderId || !OrderIds.IsValid(orderId) || letter.FulfillmentId is not { } id)
            return new(ReplayOutcome.WouldFail, "no valid orderId and fulfillmentId in the message");
        if (await api.GetOrderAsync(orderId, ct) is not { } order)
            return new(ReplayOutcome.WouldFail, $"unknown order {orderId}");

        var tracked = order.Items("fulfillments").FirstOrDefault(f => Guid.TryParse(f.Text("fulfillmentId"), out var fid) && fid == id);
        if (tracked.ValueKind == JsonValueKind.Object)
        {
            return tracked.Text("deliveredAt") is not null
                ? new(ReplayOutcome.Duplicate, $"fulfillment {id} is already delivered")
                : new(ReplayOutcome.Applied, $"fulfillment {id} is {tracked.Text("status")}: delivered" +
                                             (FulfillmentSteps.HasShipped(tracked.Text("status") ?? "") ? "" : " once shipped (held)"));
        }

        var count = order.Number("fulfillmentCount") ?? 0;
        return count > 0 && order.Items("fulfillments").Count() >= count
            ? new(ReplayOutcome.WouldFail, $"fulfillment {id} is not one of order {orderId}'s")
            : new(ReplayOutcome.Applied, $"fulfillment {id} not announced yet: held until it ships");
    }
}
