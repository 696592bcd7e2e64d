using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.FulfillmentService.Tests.Fulfillments;

/// <summary>
/// Deadlines per status on the harness: MassTransit's in-memory delayed scheduler stands in for the outbox's here, and
/// <see cref="OnPostgres"/> runs them on the outbox's own.
/// </summary>
public class FulfillmentDeadlineTests(PostgresHarnessDatabase<FulfillmentDbContext>? database = null)
{
    [Fact]
    public async Task A_fulfillment_left_in_picking_past_its_deadline_is_announced_overdue_once()
    {
        await using var h = await FulfillmentHarness.StartAsync(d => d.Picking = TimeSpan.FromSeconds(1), database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-D1");
        var since = DateTimeOffset.UtcNow;

        await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = since });
        await h.WaitUntilAsync(() => Overdue(h, id).Count > 0, "fulfillment.overdue");

        var overdue = Assert.Single(Overdue(h, id));
        Assert.Equal(("ORD-D1", "WH-EAST", "picking"), (overdue.OrderId, overdue.WarehouseId, overdue.Status));
        Assert.Equal(since, overdue.Since);
        Assert.Equal(since + TimeSpan.FromSeconds(1), overdue.Deadline);
        var fulfillment = await h.FulfillmentAsync(id);
        Assert.NotNull(fulfillment.OverdueAt);
        // No second event for the same stay: the fulfillment holds no deadline any more, and none waits to be delivered.
        Assert.Null(fulfillment.DeadlineTokenId);
        Assert.True(await h.Host.ScheduledCountAsync() is null or 0, "no deadline should wait in the outbox");
        Assert.Single(Overdue(h, id));
    }

    [Fact]
    public async Task A_status_change_before_the_deadline_cancels_it()
    {
        await using var h = await FulfillmentHarness.StartAsync(d => d.Picking = TimeSpan.FromSeconds(1), database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-D2");

        await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = DateTimeOffset.UtcNow });
        Assert.NotNull((await h.FulfillmentAsync(id)).DeadlineTokenId);
        await h.DeliverAsync(new WarehousePicked { FulfillmentId = id, OccurredAt = DateTimeOffset.UtcNow });

        var picked = await h.FulfillmentAsync(id);
        Assert.Null(picked.DeadlineTokenId);
        Assert.Null(picked.DeadlineAt);
        if (await h.Host.ScheduledCountAsync() is { } scheduled)
        {
            // The outbox's scheduler deleted the timeout in the transaction of the change.
            Assert.Equal(0, scheduled);
        }
        else
        {
            // MassTransit's in-memory scheduler cannot take the timeout back: it still arrives, and is ignored. A duplicate step
            // after it (ignored too) is the sentinel: the fulfillment's messages run one at a time, so once it is consumed the
            // timeout is done with.
            await h.WaitUntilAsync(() => h.Harness.Consumed.Select<FulfillmentDeadlineReached>(HarnessHost.Now).Any(), "the stale timeout");
            await h.DeliverAsync(new WarehousePicked { FulfillmentId = id, OccurredAt = DateTimeOffset.UtcNow });
        }

        Assert.Empty(Overdue(h, id));
        Assert.Null((await h.FulfillmentAsync(id)).OverdueAt);
    }

    [Fact]
    public async Task Each_status_with_a_deadline_gets_its_own_and_the_next_change_clears_overdue()
    {
        await using var h = await FulfillmentHarness.StartAsync(d =>
        {
            d.Picking = TimeSpan.FromMilliseconds(500);
            d.Shipped = TimeSpan.FromMilliseconds(500);
        }, database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-D3");
        Assert.Null((await h.FulfillmentAsync(id)).DeadlineTokenId);

        await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = DateTimeOffset.UtcNow });
        await h.WaitUntilAsync(() => Overdue(h, id).Count == 1, "picking overdue");
        await h.DeliverAsync(new WarehouseShipped { FulfillmentId = id, OccurredAt = DateTimeOffset.UtcNow, Carrier = "UPS", TrackingNumber = "1Z" });
        Assert.Null((await h.FulfillmentAsync(id)).OverdueAt);

        await h.WaitUntilAsync(() => Overdue(h, id).Count == 2, "shipped overdue");
        Assert.Equal(["picking", "shipped"], Overdue(h, id).Select(o => o.Status));
    }

    [Fact]
    public async Task A_deadline_already_past_when_the_status_is_entered_fires_at_once()
    {
        await using var h = await FulfillmentHarness.StartAsync(d => d.Picking = TimeSpan.FromMinutes(10), database: database);
        var id = await h.PlannedFulfillmentAsync("ORD-D4");
        var since = DateTimeOffset.UtcNow - TimeSpan.FromHours(1);

        await h.DeliverAsync(new WarehousePickingStarted { FulfillmentId = id, OccurredAt = since });
        await h.WaitUntilAsync(() => Overdue(h, id).Count == 1, "fulfillment.overdue");
        Assert.Equal(since + TimeSpan.FromMinutes(10), Overdue(h, id)[0].Deadline);
    }

    static List<FulfillmentOverdue> Overdue(FulfillmentHarness h, Guid id) =>
        h.Host.Published<FulfillmentOverdue>().Where(o => o.FulfillmentId == id).ToList();

    [Trait("Category", "Postgres")] // the same scenarios through the outbox and inbox on PostgreSQL; test.sh --fast leaves them out
    public sealed class OnPostgres(PostgresHarnessDatabase<FulfillmentDbContext> database) : FulfillmentDeadlineTests(database), IClassFixture<PostgresHarnessDatabase<FulfillmentDbContext>>;
}
