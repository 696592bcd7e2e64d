using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.FulfillmentService.Tests.Fulfillments;

/// <summary>
/// Steps that arrive ahead of their turn are held in the fulfillment's stored state and applied in lifecycle order once
/// the steps before them arrive, or as a skip-ahead when the hold window ends first (the contract's rule 6). Also on
/// PostgreSQL (<see cref="OnPostgres"/>), where the window's end is a scheduled message of the outbox.
/// </summary>
public class StepHoldTests(PostgresHarnessDatabase<FulfillmentDbContext>? database = null)
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 11, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Steps_that_arrive_out_of_order_are_announced_in_lifecycle_order_with_consecutive_sequences()
    {
        await using var h = await FulfillmentHarness.StartAsync(holdWindow: TimeSpan.FromMinutes(1), database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-H1");

        await h.DeliverAsync(new WarehouseShipped { FulfillmentId = id, OccurredAt = At.AddMinutes(6), Carrier = "UPS", TrackingNumber = "1Z7" });
        await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At.AddMinutes(4) });
        await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = At.AddMinutes(1) });
        var held = await h.FulfillmentAsync(id);
        Assert.Equal("picking", held.Status);
        Assert.Equal(["packed", "shipped"], held.HeldSteps.Select(s => s.Status));
        Assert.NotNull(held.HoldTokenId);

        await h.DeliverAsync(new WarehouseReadyToShip { FulfillmentId = id, OccurredAt = At.AddMinutes(5) });
        await h.DeliverAsync(new WarehousePackingStarted { FulfillmentId = id, OccurredAt = At.AddMinutes(3) });
        await h.DeliverAsync(new WarehousePicked { FulfillmentId = id, OccurredAt = At.AddMinutes(2) });

        var events = h.Announced(id);
        Assert.Equal(["pending", "planning", "picking", "picked", "packing", "packed", "ready", "shipped"], events.Select(e => e.Status));
        Assert.Equal(Enumerable.Range(1, 8), events.Select(e => e.Sequence));
        Assert.Equal(events.Select(e => e.Status).SkipLast(1), events.Skip(1).Select(e => e.PreviousStatus));
        // Each change carries the time the warehouse gave its own step, not the time it was released.
        Assert.Equal(Enumerable.Range(1, 6).Select(m => At.AddMinutes(m)), events.Skip(2).Select(e => e.ChangedAt));
        Assert.Equal(("UPS", "1Z7"), (events[^1].Carrier, events[^1].TrackingNumber));
        var fulfillment = await h.FulfillmentAsync(id);
        Assert.Empty(fulfillment.HeldSteps);
        Assert.Null(fulfillment.HoldTokenId);
    }

    [Fact]
    public async Task A_step_whose_predecessor_never_comes_is_applied_as_a_skip_ahead_when_the_window_ends()
    {
        await using var h = await FulfillmentHarness.StartAsync(holdWindow: TimeSpan.FromMilliseconds(300), database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-H2");

        await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });
        Assert.Equal(2, h.Announced(id).Count);

        await h.WaitUntilAsync(() => h.Announced(id).Count == 3, "the held step applied when the window ended");
        var last = h.Announced(id)[^1];
        Assert.Equal(("planning", "packed", 3), (last.PreviousStatus, last.Status, last.Sequence));
        var fulfillment = await h.FulfillmentAsync(id);
        Assert.Empty(fulfillment.HeldSteps);
        Assert.Null(fulfillment.HoldTokenId);
    }

    [Fact]
    public async Task A_held_step_arriving_again_is_a_duplicate_and_a_step_already_passed_is_stale()
    {
        await using var h = await FulfillmentHarness.StartAsync(holdWindow: TimeSpan.FromMinutes(1), database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-H3");
        await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = At });

        await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });
        var again = await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });
        var stale = await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = At });

        Assert.Null(again.Exception);
        Assert.Null(stale.Exception);
        Assert.Equal(["packed"], (await h.FulfillmentAsync(id)).HeldSteps.Select(s => s.Status));
        Assert.Equal(3, h.Announced(id).Count);
    }

    [Fact]
    public async Task A_cancellation_is_applied_at_once_after_the_steps_held_before_it()
    {
        await using var h = await FulfillmentHarness.StartAsync(holdWindow: TimeSpan.FromMinutes(1), database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-H4");
        await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });

        await h.DeliverAsync(new WarehouseCancelled { FulfillmentId = id, OccurredAt = At, Reason = "out of stock" });

        var events = h.Announced(id);
        Assert.Equal([("planning", "packed", 3), ("packed", "cancelled", 4)], events.Skip(2).Select(e => (e.PreviousStatus, e.Status, e.Sequence)));
        var fulfillment = await h.FulfillmentAsync(id);
        Assert.Equal(("cancelled", "packed"), (fulfillment.Status, fulfillment.CancelledFrom));
        Assert.Empty(fulfillment.HeldSteps);
        Assert.Null(fulfillment.HoldTokenId);
    }

    [Fact]
    public async Task An_order_cancellation_is_refused_when_a_shipment_is_held()
    {
        await using var h = await FulfillmentHarness.StartAsync(holdWindow: TimeSpan.FromMinutes(1), database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-H5");
        await h.DeliverAsync(new WarehouseShipped { FulfillmentId = id, OccurredAt = At, Carrier = "UPS", TrackingNumber = "1Z5" });

        await h.Harness.Bus.Publish(new OrderCancellationRequested { OrderId = "ORD-H5", RequestedAt = At, Reason = "changed my mind" });

        await h.WaitUntilAsync(() => h.Host.Published<OrderCancellationRefused>().Any(r => r.OrderId == "ORD-H5"), "the cancellation refused");
        Assert.Equal("planning", (await h.FulfillmentAsync(id)).Status);
        Assert.Equal(["shipped"], (await h.FulfillmentAsync(id)).HeldSteps.Select(s => s.Status));
    }

    [Fact]
    public async Task With_a_zero_window_a_step_ahead_is_applied_at_once()
    {
        await using var h = await FulfillmentHarness.StartAsync(holdWindow: TimeSpan.Zero, database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-H6");

        await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });

        Assert.Equal(("planning", "packed", 3), h.Announced(id)[^1] is var e ? (e.PreviousStatus, e.Status, e.Sequence) : default);
        Assert.Null((await h.FulfillmentAsync(id)).HoldTokenId);
    }

    [Trait("Category", "Postgres")] // the same scenarios through the outbox and inbox on PostgreSQL; test.sh --fast leaves them out
    public sealed class OnPostgres(PostgresHarnessDatabase<FulfillmentDbContext> database) : StepHoldTests(database), IClassFixture<PostgresHarnessDatabase<FulfillmentDbContext>>;
}
