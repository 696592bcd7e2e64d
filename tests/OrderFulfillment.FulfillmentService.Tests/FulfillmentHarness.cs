using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.FulfillmentService.Tests;

/// <summary>The fulfillment service on the test harness, with helpers in the contract's words.</summary>
public sealed class FulfillmentHarness : IAsyncDisposable
{
    FulfillmentHarness(HarnessHost host)
    {
        Host = host;
        Sagas = host.Harness.GetSagaStateMachineHarness<FulfillmentStateMachine, FulfillmentState>();
    }

    public HarnessHost Host { get; }
    public ITestHarness Harness => Host.Harness;
    public ISagaStateMachineTestHarness<FulfillmentStateMachine, FulfillmentState> Sagas { get; }

    /// <param name="deadlines">The statuses' deadlines; by default none, so that no test waits on one it did not ask for.</param>
    /// <param name="holdWindow">How long a step ahead of its turn is held; by default zero (applied at once), so that no test waits on it.</param>
    /// <param name="database">PostgreSQL, through the service's outbox and inbox; by default EF Core's in-memory database.</param>
    public static async Task<FulfillmentHarness> StartAsync(Action<FulfillmentDeadlineOptions>? deadlines = null, TimeSpan? holdWindow = null,
        PostgresHarnessDatabase<FulfillmentDbContext>? database = null)
    {
        void AddOptions(IServiceCollection services)
        {
            services.AddOptions<FulfillmentDeadlineOptions>().Configure(o =>
            {
                o.Clear();
                deadlines?.Invoke(o);
            });
            services.AddOptions<StepHoldOptions>().Configure(o => o.Window = holdWindow ?? TimeSpan.Zero);
            services.AddOptions<WarehouseRoutingOptions>().Configure(o =>
            {
                o.DefaultWarehouse = "WH-CENTRAL";
                o.SkuPrefixes["SKU-E"] = "WH-EAST";
            });
        }

        static void AddSagas(IBusRegistrationConfigurator bus) => bus.AddFulfillmentSagas();

        return new(database is null
            ? await HarnessHost.StartAsync(services =>
            {
                HarnessHost.AddInMemoryDatabase<FulfillmentDbContext>(services);
                AddOptions(services);
            }, AddSagas)
            : await HarnessHost.StartOnPostgresAsync(database, AddOptions, AddSagas));
    }

    /// <summary>Publishes an order's first order.status_changed (confirmed, with its lines), as the order service does.</summary>
    public async Task ConfirmAsync(string orderId, params OrderLine[] lines) =>
        await Harness.Bus.Publish(new OrderStatusChanged
        {
            OrderId = orderId,
            PreviousStatus = null,
            Status = OrderStatuses.Confirmed,
            ChangedAt = DateTimeOffset.UtcNow,
            Lines = lines,
        });

    /// <summary>Confirms a one-warehouse order and waits until its fulfillment is planning; returns the fulfillment id.</summary>
    public async Task<Guid> PlannedFulfillmentAsync(string orderId, string warehouse = "WH-EAST")
    {
        await ConfirmAsync(orderId, new OrderLine { Sku = "SKU-1", Quantity = 2, WarehouseId = warehouse });
        var id = DeterministicId.ForFulfillment(orderId, warehouse);
        await WaitUntilPlanningAsync(id);
        return id;
    }

    /// <summary>Waits until each fulfillment is planning and its first two events (pending, planning) are published.</summary>
    public async Task WaitUntilPlanningAsync(params Guid[] ids)
    {
        foreach (var id in ids)
            Assert.True((await Sagas.Exists(id, m => m.Planning)).HasValue, "the fulfillment should reach planning");
        await Host.WaitUntilDeliveredAsync();
    }

    public Task<FulfillmentState> FulfillmentAsync(Guid id) =>
        Host.QueryAsync<FulfillmentDbContext, FulfillmentState>(db => db.Fulfillments.AsNoTracking().SingleAsync(f => f.CorrelationId == id));

    /// <summary>The fulfillment.status_changed events published for one fulfillment, in sequence order.</summary>
    public List<FulfillmentStatusChanged> Announced(Guid fulfillmentId) =>
        Host.Published<FulfillmentStatusChanged>().Where(m => m.FulfillmentId == fulfillmentId).OrderBy(m => m.Sequence).ToList();

    public Task<IReceivedMessage<T>> DeliverAsync<T>(T message)
        where T : class => Host.DeliverAsync(message);

    public Task WaitUntilAsync(Func<bool> condition, string what) => Host.WaitUntilAsync(condition, what);

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
