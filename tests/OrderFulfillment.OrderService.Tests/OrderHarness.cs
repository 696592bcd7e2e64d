using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Contracts;
using OrderFulfillment.OrderService.Data;
using OrderFulfillment.OrderService.OrderStatus;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.OrderService.Tests;

/// <summary>The order service on the test harness; the fulfillment service's events are published by the test.</summary>
public sealed class OrderHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset At = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    readonly Dictionary<Guid, int> _sequences = [];

    OrderHarness(HarnessHost host) => Host = host;

    public HarnessHost Host { get; }
    public ITestHarness Harness => Host.Harness;

    /// <param name="database">PostgreSQL, through the service's outbox and inbox; by default EF Core's in-memory database.</param>
    public static async Task<OrderHarness> StartAsync(PostgresHarnessDatabase<OrderDbContext>? database = null) =>
        new(database is null
            ? await HarnessHost.StartAsync(services => HarnessHost.AddInMemoryDatabase<OrderDbContext>(services), AddSaga)
            : await HarnessHost.StartOnPostgresAsync(database, _ => { }, AddSaga));

    static void AddSaga(IBusRegistrationConfigurator bus) => bus.AddOrderStatusSaga();

    public Task<IReceivedMessage<OrderConfirmed>> ConfirmAsync(string orderId) =>
        Host.DeliverAsync(new OrderConfirmed
        {
            OrderId = orderId,
            ConfirmedAt = At,
            Lines = [new OrderLine { Sku = "SKU-1", Quantity = 2, WarehouseId = "WH-EAST" }, new OrderLine { Sku = "SKU-3", Quantity = 5 }],
        });

    /// <summary>Announces the next status of a fulfillment, with the next sequence number, as the fulfillment service would.</summary>
    public Task<IReceivedMessage<FulfillmentStatusChanged>> AnnounceAsync(string orderId, string warehouse, string status, int fulfillmentCount)
    {
        var id = DeterministicId.ForFulfillment(orderId, warehouse);
        var sequence = _sequences[id] = _sequences.GetValueOrDefault(id) + 1;
        return Host.DeliverAsync(Announcement(orderId, warehouse, status, sequence, fulfillmentCount));
    }

    public static FulfillmentStatusChanged Announcement(string orderId, string warehouse, string status, int sequence, int fulfillmentCount) => new()
    {
        FulfillmentId = DeterministicId.ForFulfillment(orderId, warehouse),
        OrderId = orderId,
        WarehouseId = warehouse,
        PreviousStatus = null,
        Status = status,
        ChangedAt = At,
        Sequence = sequence,
        Lines = [new FulfillmentLine { Sku = "SKU-1", Quantity = 1 }],
        FulfillmentCount = fulfillmentCount,
        Carrier = status is "shipped" or "completed" ? "UPS" : null,
        TrackingNumber = status is "shipped" or "completed" ? "1Z" + warehouse : null,
    };

    public Task<IReceivedMessage<DeliveryConfirmed>> DeliverAsync(string orderId, string warehouse) =>
        Host.DeliverAsync(new DeliveryConfirmed
        {
            OrderId = orderId,
            FulfillmentId = DeterministicId.ForFulfillment(orderId, warehouse),
            DeliveredAt = At,
            Carrier = "UPS",
            TrackingNumber = "1Z" + warehouse,
        });

    /// <summary>The order.status_changed events of one order, in publish order, as (previous, status).</summary>
    public List<(string? Previous, string Status)> StatusChanges(string orderId) =>
        Host.Published<OrderStatusChanged>().Where(m => m.OrderId == orderId).Select(m => (m.PreviousStatus, m.Status)).ToList();

    public Task<OrderState> OrderAsync(string orderId) =>
        Host.QueryAsync<OrderDbContext, OrderState>(db => db.Orders.AsNoTracking().SingleAsync(o => o.OrderId == orderId));

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
