using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.Messaging;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.FulfillmentService.Tests.Fulfillments;

/// <summary>
/// The fulfillment saga and the planning consumer on EF Core's in-memory database, and again through the production
/// pipeline (<see cref="OnPostgres"/>): PostgreSQL, each message one transaction of the outbox and inbox, the commands and
/// events delivered by the outbox.
/// </summary>
public class FulfillmentStateMachineTests(PostgresHarnessDatabase<FulfillmentDbContext>? database = null)
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 11, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_confirmed_order_gets_one_fulfillment_per_warehouse_announced_pending_then_planning()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);

        await h.ConfirmAsync("ORD-1",
            new OrderLine { Sku = "SKU-1", Quantity = 2, WarehouseId = "WH-EAST" },
            new OrderLine { Sku = "SKU-2", Quantity = 1, WarehouseId = "WH-WEST" },
            new OrderLine { Sku = "SKU-3", Quantity = 5 },
            new OrderLine { Sku = "SKU-E9", Quantity = 4 });

        var east = DeterministicId.ForFulfillment("ORD-1", "WH-EAST");
        var west = DeterministicId.ForFulfillment("ORD-1", "WH-WEST");
        var central = DeterministicId.ForFulfillment("ORD-1", "WH-CENTRAL");
        await h.WaitUntilPlanningAsync(east, west, central);

        foreach (var id in new[] { east, west, central })
        {
            var events = h.Announced(id);
            Assert.Equal([(null, "pending", 1), ("pending", "planning", 2)], events.Select(e => (e.PreviousStatus, e.Status, e.Sequence)));
            Assert.All(events, e => Assert.Equal(3, e.FulfillmentCount));
        }

        // Every ordered line, with its full quantity, is in exactly one fulfillment; the unassigned lines were routed.
        Assert.Equal([("SKU-1", 2), ("SKU-E9", 4)], (await h.FulfillmentAsync(east)).Lines.Select(l => (l.Sku, l.Quantity)));
        Assert.Equal([("SKU-2", 1)], (await h.FulfillmentAsync(west)).Lines.Select(l => (l.Sku, l.Quantity)));
        Assert.Equal([("SKU-3", 5)], (await h.FulfillmentAsync(central)).Lines.Select(l => (l.Sku, l.Quantity)));
    }

    [Fact]
    public async Task The_same_order_confirmed_twice_creates_nothing_twice()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-2");

        await h.PlannedFulfillmentAsync("ORD-2");
        await h.WaitUntilAsync(() => h.Harness.Consumed.Select<OrderStatusChanged>(HarnessHost.Now).Count() == 2, "the repeated confirmation was consumed");

        Assert.Equal(2, h.Announced(id).Count);
        Assert.Equal(2, (await h.FulfillmentAsync(id)).Sequence);
    }

    [Fact]
    public async Task The_warehouse_steps_walk_the_whole_lifecycle_with_contiguous_sequences()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-3");

        await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = At });
        await h.DeliverAsync(new WarehousePicked { FulfillmentId = id, OccurredAt = At });
        await h.DeliverAsync(new WarehousePackingStarted { FulfillmentId = id, OccurredAt = At });
        await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });
        await h.DeliverAsync(new WarehouseReadyToShip { FulfillmentId = id, OccurredAt = At });
        await h.DeliverAsync(new WarehouseShipped { FulfillmentId = id, OccurredAt = At, Carrier = "UPS", TrackingNumber = "1Z999" });
        await h.DeliverAsync(new WarehouseCompleted { FulfillmentId = id, OccurredAt = At });

        var events = h.Announced(id);
        Assert.Equal(FulfillmentStatuses.Progression, events.Select(e => e.Status));
        Assert.Equal(Enumerable.Range(1, 9), events.Select(e => e.Sequence));
        Assert.Equal(events.Select(e => e.Status).SkipLast(1), events.Skip(1).Select(e => e.PreviousStatus));
        Assert.All(events.Where(e => e.Sequence >= 8), e => Assert.Equal(("UPS", "1Z999"), (e.Carrier, e.TrackingNumber)));
        Assert.All(events.Where(e => e.Sequence < 8), e => Assert.Null(e.Carrier));
        Assert.Equal(At, events[^1].ChangedAt);
        Assert.Equal("completed", (await h.FulfillmentAsync(id)).Status);
    }

    [Fact]
    public async Task Shipped_while_packed_skips_ahead_with_one_event()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-4");
        await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });

        await h.DeliverAsync(new WarehouseShipped { FulfillmentId = id, OccurredAt = At, Carrier = "DHL", TrackingNumber = "JD01" });

        var events = h.Announced(id);
        Assert.Equal([("planning", "packed", 3), ("packed", "shipped", 4)], events.Skip(2).Select(e => (e.PreviousStatus, e.Status, e.Sequence)));
    }

    [Fact]
    public async Task Stale_and_duplicate_steps_are_acknowledged_without_effect()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-5");
        await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });

        var stale = await h.DeliverAsync(new WarehousePicked { FulfillmentId = id, OccurredAt = At });
        var duplicate = await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });

        Assert.Null(stale.Exception);
        Assert.Null(duplicate.Exception);
        Assert.Equal(3, h.Announced(id).Count);
        Assert.Equal("packed", (await h.FulfillmentAsync(id)).Status);
    }

    [Fact]
    public async Task A_step_for_an_unknown_fulfillment_faults_without_retry()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);

        var received = await h.DeliverAsync(new WarehousePicked { FulfillmentId = Guid.NewGuid(), OccurredAt = At });

        Assert.IsType<UnknownFulfillmentException>(received.Exception);
    }

    [Fact]
    public async Task After_cancelled_a_later_step_is_rejected_and_an_earlier_one_is_stale()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-6");
        await h.DeliverAsync(new WarehousePicked { FulfillmentId = id, OccurredAt = At });
        await h.DeliverAsync(new WarehouseCancelled { FulfillmentId = id, OccurredAt = At, Reason = "damaged stock" });

        var earlier = await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = At });
        var later = await h.DeliverAsync(new WarehousePacked { FulfillmentId = id, OccurredAt = At });
        var again = await h.DeliverAsync(new WarehouseCancelled { FulfillmentId = id, OccurredAt = At });

        Assert.Null(earlier.Exception);
        Assert.IsType<StepRejectedException>(later.Exception);
        Assert.Null(again.Exception);
        var last = h.Announced(id)[^1];
        Assert.Equal(("picked", "cancelled", 4, "damaged stock"), (last.PreviousStatus, last.Status, last.Sequence, last.Reason));
    }

    [Fact]
    public async Task A_warehouse_cancellation_after_shipment_is_rejected()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-7");
        await h.DeliverAsync(new WarehouseShipped { FulfillmentId = id, OccurredAt = At, Carrier = "UPS", TrackingNumber = "1Z1" });

        var received = await h.DeliverAsync(new WarehouseCancelled { FulfillmentId = id, OccurredAt = At });

        Assert.IsType<StepRejectedException>(received.Exception);
        Assert.Equal("shipped", (await h.FulfillmentAsync(id)).Status);
    }

    [Trait("Category", "Postgres")] // the same scenarios through the outbox and inbox on PostgreSQL; test.sh --fast leaves them out
    public sealed class OnPostgres(PostgresHarnessDatabase<FulfillmentDbContext> database) : FulfillmentStateMachineTests(database), IClassFixture<PostgresHarnessDatabase<FulfillmentDbContext>>;
}
