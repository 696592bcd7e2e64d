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
/// pipelines), so that each schedule runs the real state machines in milliseconds; twice, as two instances of both
/// services on one database, so that two messages of one saga can be handled at the same time.
/// </summary>
/// <remarks>
/// Every message of a schedule goes to the first instance, except the second of a concurrent pair, which the second
/// instance takes; what each one publishes stays on its own bus. Steps are held as in production, but the hold window
/// never ends by itself: the explorer delivers its end (FulfillmentHoldExpired) where the schedule says.
/// </remarks>
public sealed class ExplorerSystem : IAsyncDisposable
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Longer than any system runs (and than the service allows, one minute): the FulfillmentHoldExpired a saga schedules
    /// through the harness's delayed scheduler never comes due, so only the schedule's own window ends are delivered.
    /// </summary>
    static readonly TimeSpan HoldWindow = TimeSpan.FromDays(1);

    static readonly Uri FulfillmentQueue = new($"queue:{FulfillmentStateDefinition.Queue}");

    readonly HarnessHost[] _instances;
    readonly InMemoryDatabase[] _databases;
    int _orders;

    ExplorerSystem(HarnessHost[] instances, InMemoryDatabase[] databases, MessageTracker tracker)
    {
        _instances = instances;
        _databases = databases;
        Tracker = tracker;
    }

    public HarnessHost Host => _instances[0];
    public HarnessHost Second => _instances[1];
    public MessageTracker Tracker { get; }

    /// <summary>Saves that failed on a stale row version and were retried, in both services' databases.</summary>
    public int ConcurrencyConflicts => _databases.Sum(d => d.ConcurrencyConflicts);

    public static async Task<ExplorerSystem> StartAsync()
    {
        var orders = new InMemoryDatabase();
        var fulfillments = new InMemoryDatabase();
        var tracker = new MessageTracker();
        var first = await StartInstanceAsync(orders, fulfillments, tracker);
        var second = await StartInstanceAsync(orders, fulfillments, tracker);
        return new ExplorerSystem([first, second], [orders, fulfillments], tracker);
    }

    static async Task<HarnessHost> StartInstanceAsync(InMemoryDatabase orders, InMemoryDatabase fulfillments, MessageTracker tracker)
    {
        var host = await HarnessHost.StartAsync(
            services =>
            {
                HarnessHost.AddInMemoryDatabase<OrderDbContext>(services, orders);
                HarnessHost.AddInMemoryDatabase<FulfillmentDbContext>(services, fulfillments);
                services.AddOptions<WarehouseRoutingOptions>().Configure(o => o.DefaultWarehouse = "WH-DEFAULT");
                // Schedules run in milliseconds: no deadline could come due, and none should be left waiting.
                services.AddOptions<FulfillmentDeadlineOptions>().Configure(o => o.Clear());
                services.AddOptions<StepHoldOptions>().Configure(o => o.Window = HoldWindow);
            },
            bus =>
            {
                bus.AddOrderStatusSaga();
                bus.AddFulfillmentSagas();
            },
            // Outermost on every endpoint: a message is handled once its retries and its outbox are done.
            cfg => cfg.UseFilter(tracker));
        host.Harness.Bus.ConnectPublishObserver(tracker);
        host.Harness.Bus.ConnectSendObserver(tracker);
        return host;
    }

    /// <summary>Runs one schedule on a fresh order and checks the outcome against the contract model.</summary>
    public async Task<ScheduleOutcome> RunAsync(Schedule schedule)
    {
        var orderId = $"X{Interlocked.Increment(ref _orders):D6}";
        var fulfillmentIds = Schedule.Warehouses.Take(schedule.Fulfillments).Select(w => DeterministicId.ForFulfillment(orderId, w)).ToArray();
        foreach (var id in fulfillmentIds)
            Tracker.MapFulfillment(id, orderId);

        var deliveries = new List<(string Label, Guid MessageId)>();
        for (var i = 0; i < schedule.Messages.Count; i++)
        {
            var message = schedule.Messages[i];
            if (message.Kind == MessageKind.Concurrent)
            {
                // Both window ends' tokens are read before either message is delivered: the holds in force now.
                var first = await PrepareAsync(message.First!, orderId, fulfillmentIds);
                var second = await PrepareAsync(message.Second!, orderId, fulfillmentIds);
                deliveries.Add((ContractModel.DeliveryLabel(i, 0), first.MessageId));
                deliveries.Add((ContractModel.DeliveryLabel(i, 1), second.MessageId));
                await Task.WhenAll(first.DeliverAsync(_instances[0]), second.DeliverAsync(_instances[1]));
            }
            else
            {
                var delivery = await PrepareAsync(message, orderId, fulfillmentIds);
                deliveries.Add((ContractModel.DeliveryLabel(i), delivery.MessageId));
                await delivery.DeliverAsync(_instances[0]);
            }

            await Tracker.WaitUntilQuietAsync(orderId, TimeSpan.FromSeconds(30));
        }

        var trace = Tracker.Trace(orderId);
        var actualFaults = deliveries.Where(d => trace.Faults.ContainsKey(d.MessageId)).Select(d => d.Label).ToList();
        var outcome = ScheduleOutcome.Check(schedule, [.. trace.Events], fulfillmentIds, actualFaults);
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

    /// <summary>One message ready to go: its id, and how to deliver it to an instance.</summary>
    sealed record Delivery(Guid MessageId, Func<HarnessHost, Task> DeliverAsync);

    /// <summary>
    /// Gets a schedule message ready: a producer's message is published as the producer would; a window end is sent to
    /// the fulfillment queue as the scheduler sends it, with the token of the hold in force, or (nothing held, or a late
    /// one) a token that is not current.
    /// </summary>
    async Task<Delivery> PrepareAsync(ScheduleMessage message, string orderId, Guid[] fulfillmentIds)
    {
        var messageId = NewId.NextGuid();
        if (message.Kind is not (MessageKind.WindowEnds or MessageKind.LateWindowEnds))
            return new Delivery(messageId, host => PublishAsync(host, message, orderId, fulfillmentIds, messageId));

        var fulfillmentId = fulfillmentIds[message.Fulfillment];
        var current = message.Kind == MessageKind.WindowEnds
            ? await Host.QueryAsync<FulfillmentDbContext, Guid?>(db =>
                db.Fulfillments.AsNoTracking().Where(f => f.CorrelationId == fulfillmentId).Select(f => f.HoldTokenId).SingleOrDefaultAsync())
            : null;
        var token = current ?? NewId.NextGuid();
        Tracker.Sending(orderId, messageId);
        return new Delivery(messageId, async host =>
        {
            var endpoint = await host.Harness.Bus.GetSendEndpoint(FulfillmentQueue);
            await endpoint.Send(new FulfillmentHoldExpired(fulfillmentId), c =>
            {
                c.MessageId = messageId;
                c.Headers.Set(MessageHeaders.SchedulingTokenId, token.ToString("N"));
            });
        });
    }

    static Task PublishAsync(HarnessHost host, ScheduleMessage message, string orderId, Guid[] fulfillmentIds, Guid messageId)
    {
        var bus = host.Harness.Bus;
        var count = fulfillmentIds.Length;
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

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
            await instance.DisposeAsync();
    }
}
