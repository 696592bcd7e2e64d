using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.FulfillmentService.Tests.Fulfillments;

/// <summary>
/// The step rule that the fulfillment saga is built from, and that ofctl's replay forecast reads: its table, and the
/// machine doing what it says for every step in every status it can be driven to.
/// </summary>
public sealed class FulfillmentStepsTests
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("planning", "picking", null, StepOutcome.Applied)]
    [InlineData("planning", "packed", null, StepOutcome.Applied)] // a step ahead is applied, also when it skips steps
    [InlineData("packed", "packed", null, StepOutcome.AlreadyThere)]
    [InlineData("packed", "picked", null, StepOutcome.Passed)]
    [InlineData("shipped", "cancelled", null, StepOutcome.Rejected)]
    [InlineData("completed", "cancelled", null, StepOutcome.Rejected)]
    [InlineData("ready", "cancelled", null, StepOutcome.Applied)]
    [InlineData("cancelled", "cancelled", "picked", StepOutcome.AlreadyThere)]
    [InlineData("cancelled", "picked", "packing", StepOutcome.Passed)] // reached before the cancellation: stale
    [InlineData("cancelled", "packed", "packing", StepOutcome.Rejected)] // not reached: too late
    public void A_step_does_what_the_contract_says(string status, string target, string? cancelledFrom, StepOutcome expected) =>
        Assert.Equal(expected, FulfillmentSteps.Outcome(status, target, cancelledFrom));

    public static TheoryData<string, string> StatusesAndSteps()
    {
        var data = new TheoryData<string, string>();
        foreach (var status in FulfillmentStatuses.Progression.Skip(1))
            foreach (var step in FulfillmentStatuses.Progression.Skip(2).Append(FulfillmentStatuses.Cancelled))
                data.Add(status, step);
        return data;
    }

    [Theory]
    [MemberData(nameof(StatusesAndSteps))]
    public async Task The_machine_applies_a_step_as_the_rule_says(string status, string step)
    {
        await using var h = await FulfillmentHarness.StartAsync();
        var id = await h.PlannedFulfillmentAsync($"ORD-RULE-{status}-{step}");
        if (status != FulfillmentStatuses.Planning)
            await DeliverStepAsync(h, status, id);
        var before = await h.FulfillmentAsync(id);
        Assert.Equal(status, before.Status);

        var outcome = FulfillmentSteps.Outcome(status, step);
        var exception = await DeliverStepAsync(h, step, id);

        var after = await h.FulfillmentAsync(id);
        Assert.Equal(outcome == StepOutcome.Applied ? step : status, after.Status);
        Assert.Equal(outcome == StepOutcome.Applied ? before.Sequence + 1 : before.Sequence, after.Sequence);
        if (outcome == StepOutcome.Rejected)
            Assert.IsType<StepRejectedException>(exception);
        else
            Assert.Null(exception);
    }

    [Theory]
    [InlineData("planning", "picking", true)]
    [InlineData("picking", "picked", true)]
    [InlineData("shipped", "completed", true)]
    [InlineData("planning", "picked", false)]
    [InlineData("picking", "picking", false)]
    [InlineData("packed", "picking", false)]
    [InlineData("picking", "cancelled", false)]
    [InlineData("cancelled", "picking", false)]
    public void The_next_step_is_the_one_right_after_the_status(string status, string target, bool next) =>
        Assert.Equal(next, FulfillmentSteps.IsNext(status, target));

    /// <summary>Delivers the warehouse step that moves a fulfillment to <paramref name="status"/>; returns what it threw.</summary>
    static async Task<Exception?> DeliverStepAsync(FulfillmentHarness h, string status, Guid id) => status switch
    {
        FulfillmentStatuses.Picking => (await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = At })).Exception,
        FulfillmentStatuses.Picked => (await h.DeliverAsync(new WarehousePicked { FulfillmentId = id, OccurredAt = At })).Exception,
        FulfillmentStatuses.Packing => (await h.DeliverAsync(new WarehousePackingStarted { FulfillmentId = id, OccurredAt = At })).Exception,
        FulfillmentStatuses.Packed => (await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At })).Exception,
        FulfillmentStatuses.Ready => (await h.DeliverAsync(new WarehouseReadyToShip { FulfillmentId = id, OccurredAt = At })).Exception,
        FulfillmentStatuses.Shipped => (await h.DeliverAsync(
            new WarehouseShipped { FulfillmentId = id, OccurredAt = At, Carrier = "UPS", TrackingNumber = "1Z999" })).Exception,
        FulfillmentStatuses.Completed => (await h.DeliverAsync(new WarehouseCompleted { FulfillmentId = id, OccurredAt = At })).Exception,
        FulfillmentStatuses.Cancelled => (await h.DeliverAsync(new WarehouseCancelled { FulfillmentId = id, OccurredAt = At, Reason = "test" })).Exception,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}
