using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.OrderService;
using OrderFulfillment.OrderService.Data;
using OrderFulfillment.TestSupport;
using OrderFulfillment.TestSupport.Schedules;

namespace OrderFulfillment.ScheduleExplorer.Tests;

/// <summary>
/// Both services' sagas and consumers in one test harness, wired as in production (same registrations, same endpoint
/// pipelines), so that each schedule runs the real state machines in milliseconds.
/// </summary>
public sealed class ExplorerSystem : IAsyncDisposable
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    int _orders;

    ExplorerSystem(HarnessHost host, MessageTracker tracker)
    {
        Host = host;
        Tracker = tracker;
    }

    public HarnessHost Host { get; }
    public MessageTracker Tracker { get; }

    public static async Task<ExplorerSystem> StartAsync()
    {
        var host = await HarnessHost.StartAsync(
            services =>
            {
                HarnessHost.AddInMemoryDatabase<OrderDbContext>(services);
                HarnessHost.AddInMemoryDatabase<FulfillmentDbContext>(services);
                services.AddOptions<WarehouseRoutingOptions>().Configure(o => o.DefaultWarehouse = "WH-DEFAULT");
                // Schedules run in milliseconds: no deadline could come due, and none should be left waiting.
                services.AddOptions<FulfillmentDeadlineOptions>().Configure(o => o.Clear());
                // No step is held: a step ahead of its turn is applied at once, as the model says.
                services.AddOptions<StepHoldOptions>().Configure(o => o.Window = TimeSpan.Zero);
            },
            bus =>
            {
                bus.AddOrderStatusSaga();
                bus.AddFulfillmentSagas();
            },
            (context, cfg) =>
            {
                cfg.ConfigureOrderEndpoints(context, transactionalOutbox: false);
                cfg.ConfigureFulfillmentEndpoints(context, transactionalOutbox: false);
            });
        var tracker = new MessageTracker();
        host.Harness.Bus.ConnectConsumeObserver(tracker);
        host.Harness.Bus.ConnectPublishObserver(tracker);
        host.Harness.Bus.ConnectSendObserver(tracker);
        return new ExplorerSystem(host, tracker);
    }

    /// <summary>Runs one schedule on a fresh order and checks the outcome against the contract model.</summary>
    public async Task<ScheduleOutcome> RunAsync(Schedule schedule)
    {
        var orderId = $"X{Interlocked.Increment(ref _orders):D6}";
        var fulfillmentIds = Schedule.Warehouses.Take(schedule.Fulfillments).Select(w => DeterministicId.ForFulfillment(orderId, w)).ToArray();
        foreach (var id in fulfillmentIds)
            Tracker.MapFulfillment(id, orderId);

        var model = new ContractModel();
        var expectedFaults = new List<int>();
        var messageIds = new List<Guid>();
        for (var i = 0; i < schedule.Messages.Count; i++)
        {
            var message = schedule.Messages[i];
            if (model.Apply(message, schedule.Fulfillments))
                expectedFaults.Add(i);
            var messageId = NewId.NextGuid();
            messageIds.Add(messageId);
            await PublishAsync(message, orderId, fulfillmentIds, schedule.Fulfillments, messageId);
            await Tracker.WaitUntilQuietAsync(orderId, TimeSpan.FromSeconds(30));
        }

        var trace = Tracker.Trace(orderId);
        var actualFaults = messageIds.Select((id, i) => (id, i)).Where(x => trace.Faults.ContainsKey(x.id)).Select(x => x.i).ToList();
        var outcome = ScheduleOutcome.Check(schedule, model, [.. trace.Events], fulfillmentIds, expectedFaults, actualFaults);
        await ForgetAsync(orderId, fulfillmentIds);
        return outcome;
    }

    /// <summary>
    /// Removes a finished order's sagas: EF Core's in-memory database reads a whole table (converting every row's JSON
    /// columns) for each query, so keeping every order ever run would make each schedule slower than the one before.
    /// </summary>
    async Task ForgetAsync(string orderId, Guid[] fulfillmentIds)
    {
        var orderSagaId = DeterministicId.ForOrder(orderId);
        await Host.QueryAsync<OrderDbContext, int>(async db =>
        {
            db.Orders.RemoveRange(await db.Orders.Where(o => o.CorrelationId == orderSagaId).ToListAsync());
            return await db.SaveChangesAsync();
        });
        await Host.QueryAsync<FulfillmentDbContext, int>(async db =>
        {
            db.Fulfillments.RemoveRange(await db.Fulfillments.Where(f => fulfillmentIds.Contains(f.CorrelationId)).ToListAsync());
            return await db.SaveChangesAsync();
        });
        Tracker.Forget(orderId, fulfillmentIds);
    }

    Task PublishAsync(ScheduleMessage message, string orderId, Guid[] fulfillmentIds, int count, Guid messageId)
    {
        var bus = Host.Harness.Bus;
        Task Send<T>(T m)
            where T : class => bus.Publish(m, (PublishContext<T> c) => c.MessageId = messageId);
        switch (message.Kind)
        {
            case MessageKind.Confirm:
                return Send(new OrderConfirmed
                {
                    OrderId = orderId,
                    ConfirmedAt = At,
                    Lines = [.. Schedule.Warehouses.Take(count).Select(w => new OrderLine { Sku = "SKU-" + w, Quantity = 1, WarehouseId = w })],
                });
            case MessageKind.Deliver:
                return Send(new DeliveryConfirmed
                {
                    OrderId = orderId,
                    FulfillmentId = fulfillmentIds[message.Fulfillment],
                    DeliveredAt = At,
                    Carrier = "UPS",
                    TrackingNumber = "1Z",
                });
            case MessageKind.Cancel:
                return Send(new OrderCancellationRequested { OrderId = orderId, RequestedAt = At, Reason = "explorer" });
        }

        var f = fulfillmentIds[message.Fulfillment];
        return message.Step switch
        {
            "picking_started" => Send(new WarehousePickingStarted { FulfillmentId = f, OccurredAt = At }),
            "picked" => Send(new WarehousePicked { FulfillmentId = f, OccurredAt = At }),
            "packing_started" => Send(new WarehousePackingStarted { FulfillmentId = f, OccurredAt = At }),
            "packed" => Send(new WarehousePacked { FulfillmentId = f, OccurredAt = At }),
            "ready_to_ship" => Send(new WarehouseReadyToShip { FulfillmentId = f, OccurredAt = At }),
            "shipped" => Send(new WarehouseShipped { FulfillmentId = f, OccurredAt = At, Carrier = "UPS", TrackingNumber = "1Z" }),
            "completed" => Send(new WarehouseCompleted { FulfillmentId = f, OccurredAt = At }),
            "cancelled" => Send(new WarehouseCancelled { FulfillmentId = f, OccurredAt = At, Reason = "explorer" }),
            _ => throw new ArgumentOutOfRangeException(nameof(message)),
        };
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
