using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.ServiceDefaults.Data;
using OrderFulfillment.ServiceDefaults.Messaging;

namespace OrderFulfillment.FulfillmentService.Tests;

/// <summary>
/// The fulfillment service's saga and consumers on MassTransit's test harness, wired as the service wires them
/// (same registration, same endpoint pipeline) but on the in-memory transport and EF Core's in-memory database.
/// </summary>
public sealed class FulfillmentHarness : IAsyncDisposable
{
    readonly ServiceProvider _provider;

    FulfillmentHarness(ServiceProvider provider)
    {
        _provider = provider;
        Harness = provider.GetRequiredService<ITestHarness>();
        Sagas = Harness.GetSagaStateMachineHarness<FulfillmentStateMachine, FulfillmentState>();
    }

    /// <summary>
    /// Passed to the harness's message lists to read what is there now: without it a synchronous Select waits for more
    /// messages until the timeout, holding the list's lock, and consumption stalls meanwhile.
    /// </summary>
    public static readonly CancellationToken Now = new(canceled: true);

    public ITestHarness Harness { get; }
    public ISagaStateMachineTestHarness<FulfillmentStateMachine, FulfillmentState> Sagas { get; }

    public static async Task<FulfillmentHarness> StartAsync()
    {
        var services = new ServiceCollection();
        var database = Guid.NewGuid().ToString();
        services.AddDbContext<FulfillmentDbContext>(options => options
            .UseInMemoryDatabase(database)
            .ConfigureWarnings(w => w.Ignore(InMemoryEventId.TransactionIgnoredWarning)));
        services.AddOptions<WarehouseRoutingOptions>().Configure(o =>
        {
            o.DefaultWarehouse = "WH-CENTRAL";
            o.SkuPrefixes["SKU-E"] = "WH-EAST";
        });
        services.AddMetrics();
        services.AddSingleton<OrderFulfillmentMetrics>();
        services.AddMassTransitTestHarness(x =>
        {
            x.AddFulfillmentSagas();
            x.UsingInMemory((context, cfg) =>
            {
                cfg.ConfigureContractMessages();
                cfg.ConfigureFulfillmentEndpoints(context, transactionalOutbox: false);
            });
        });
        var provider = services.BuildServiceProvider(true);
        var harness = new FulfillmentHarness(provider);
        // Waiting on the harness ends at its timeout, not at the first quiet moment between two steps of a test.
        harness.Harness.TestInactivityTimeout = harness.Harness.TestTimeout;
        await harness.Harness.Start();
        return harness;
    }

    /// <summary>Publishes an order's first order.status_changed (confirmed, with its lines), as the order service does.</summary>
    public async Task<OrderStatusChanged> ConfirmAsync(string orderId, params OrderLine[] lines)
    {
        var confirmed = new OrderStatusChanged
        {
            OrderId = orderId, PreviousStatus = null, Status = OrderStatuses.Confirmed, ChangedAt = DateTimeOffset.UtcNow, Lines = lines,
        };
        await Harness.Bus.Publish(confirmed);
        return confirmed;
    }

    /// <summary>Confirms a one-warehouse order and waits until its fulfillment is planning; returns the fulfillment id.</summary>
    public async Task<Guid> PlannedFulfillmentAsync(string orderId, string warehouse = "WH-EAST")
    {
        await ConfirmAsync(orderId, new OrderLine { Sku = "SKU-1", Quantity = 2, WarehouseId = warehouse });
        var id = DeterministicId.ForFulfillment(orderId, warehouse);
        Assert.True((await Sagas.Exists(id, m => m.Planning)).HasValue, "the fulfillment should reach planning");
        return id;
    }

    public async Task<FulfillmentState> FulfillmentAsync(Guid id)
    {
        await using var scope = _provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        return await db.Fulfillments.AsNoTracking().SingleAsync(f => f.CorrelationId == id);
    }

    /// <summary>The fulfillment.status_changed events published for one fulfillment, in sequence order.</summary>
    public List<FulfillmentStatusChanged> Announced(Guid fulfillmentId) =>
        Harness.Published.Select<FulfillmentStatusChanged>(Now)
            .Select(m => m.Context.Message)
            .Where(m => m.FulfillmentId == fulfillmentId)
            .OrderBy(m => m.Sequence)
            .ToList();

    /// <summary>Publishes a message and waits until the harness has seen it consumed (or faulted).</summary>
    public async Task<IReceivedMessage<T>> DeliverAsync<T>(T message)
        where T : class
    {
        var id = NewId.NextGuid();
        await Harness.Bus.Publish(message, c => c.MessageId = id);
        Assert.True(await Harness.Consumed.Any<T>(m => m.Context.MessageId == id),
            $"{typeof(T).Name} should be consumed; consumed: " + string.Join(", ", Harness.Consumed.Select<T>(Now).Select(m => m.Context.MessageId + " " + m.Exception?.Message)));
        return Harness.Consumed.Select<T>(Now).First(m => m.Context.MessageId == id);
    }

    /// <summary>Waits until the condition holds, or fails the test after the harness timeout.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Harness.TestTimeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }
}
