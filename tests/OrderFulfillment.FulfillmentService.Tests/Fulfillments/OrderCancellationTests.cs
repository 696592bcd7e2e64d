using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.Messaging;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.FulfillmentService.Tests.Fulfillments;

/// <summary>
/// An order's cancellation decided for all its fulfillments at once, on EF Core's in-memory database and through the
/// outbox on PostgreSQL (<see cref="OnPostgres"/>).
/// </summary>
public class OrderCancellationTests(PostgresHarnessDatabase<FulfillmentDbContext>? database = null)
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 10, 5, 0, TimeSpan.Zero);

    static async Task<(Guid East, Guid West)> PlanTwoWarehousesAsync(FulfillmentHarness h, string orderId)
    {
        await h.ConfirmAsync(orderId,
            new OrderLine { Sku = "SKU-1", Quantity = 2, WarehouseId = "WH-EAST" },
            new OrderLine { Sku = "SKU-2", Quantity = 1, WarehouseId = "WH-WEST" });
        var east = DeterministicId.ForFulfillment(orderId, "WH-EAST");
        var west = DeterministicId.ForFulfillment(orderId, "WH-WEST");
        await h.WaitUntilPlanningAsync(east, west);
        return (east, west);
    }

    [Fact]
    public async Task Cancellation_before_any_shipment_cancels_every_fulfillment()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);
        var (east, west) = await PlanTwoWarehousesAsync(h, "ORD-C1");
        await h.DeliverAsync(new WarehousePacked { FulfillmentId = east, OccurredAt = At });

        await h.DeliverAsync(new OrderCancellationRequested { OrderId = "ORD-C1", Reason = "customer changed mind", RequestedAt = At });

        // The decision sends each fulfillment its cancellation, which the saga applies on its own queue.
        await h.WaitUntilAsync(() => h.Announced(east)[^1].Status == "cancelled" && h.Announced(west)[^1].Status == "cancelled", "both fulfillments cancelled");
        Assert.Equal(("packed", "cancelled"), (h.Announced(east)[^1].PreviousStatus, h.Announced(east)[^1].Status));
        Assert.Equal(("planning", "cancelled"), (h.Announced(west)[^1].PreviousStatus, h.Announced(west)[^1].Status));
        Assert.Equal("cancelled", (await h.FulfillmentAsync(east)).Status);
        Assert.Empty(h.Host.Published<OrderCancellationRefused>());
    }

    [Fact]
    public async Task Cancellation_after_a_shipment_is_refused_and_cancels_nothing()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);
        var (east, west) = await PlanTwoWarehousesAsync(h, "ORD-C2");
        await h.DeliverAsync(new WarehouseShipped { FulfillmentId = east, OccurredAt = At, Carrier = "UPS", TrackingNumber = "1Z" });

        await h.DeliverAsync(new OrderCancellationRequested { OrderId = "ORD-C2", RequestedAt = At });

        var refusal = Assert.Single(h.Host.Published<OrderCancellationRefused>());
        Assert.Equal([east], refusal.ShippedFulfillmentIds);
        Assert.Equal("shipped", (await h.FulfillmentAsync(east)).Status);
        Assert.Equal("planning", (await h.FulfillmentAsync(west)).Status);
        Assert.DoesNotContain(h.Announced(west), e => e.Status == "cancelled");
    }

    [Fact]
    public async Task A_repeated_cancellation_changes_nothing_more()
    {
        await using var h = await FulfillmentHarness.StartAsync(database: database);
        var (east, _) = await PlanTwoWarehousesAsync(h, "ORD-C3");
        await h.DeliverAsync(new OrderCancellationRequested { OrderId = "ORD-C3", RequestedAt = At });
        await h.WaitUntilAsync(() => h.Announced(east).Count == 3, "the fulfillment cancelled");

        var again = await h.DeliverAsync(new OrderCancellationRequested { OrderId = "ORD-C3", RequestedAt = At });

        Assert.Null(again.Exception);
        Assert.Equal(3, h.Announced(east).Count);
    }

    [Trait("Category", "Postgres")] // the same scenarios through the outbox and inbox on PostgreSQL; test.sh --fast leaves them out
    public sealed class OnPostgres(PostgresHarnessDatabase<FulfillmentDbContext> database) : OrderCancellationTests(database), IClassFixture<PostgresHarnessDatabase<FulfillmentDbContext>>;
}
