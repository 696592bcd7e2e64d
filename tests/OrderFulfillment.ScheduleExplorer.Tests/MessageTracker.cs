using System.Collections.Concurrent;
using MassTransit;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.ScheduleExplorer.Tests;

/// <summary>
/// Watches every publish and every consume on the harness bus, per order: so a schedule's next message is sent only
/// when everything the previous one set off has been consumed, and so the events and faults of each order are known.
/// </summary>
public sealed class MessageTracker : IConsumeObserver, IPublishObserver
{
    readonly ConcurrentDictionary<string, OrderTrace> _orders = new();
    readonly ConcurrentDictionary<Guid, string> _fulfillmentOrders = new();

    /// <summary>One order's messages: in flight until consumed (each counted once by message id, however often observed).</summary>
    public sealed class OrderTrace
    {
        readonly ConcurrentDictionary<Guid, bool> _inFlight = new();
        readonly ConcurrentDictionary<Guid, bool> _consumed = new();

        public ConcurrentQueue<object> Events { get; } = new();
        public ConcurrentDictionary<Guid, Exception> Faults { get; } = new();
        public bool Quiet => _inFlight.IsEmpty;

        internal void Published(Guid messageId)
        {
            if (!_consumed.ContainsKey(messageId))
                _inFlight.TryAdd(messageId, true);
        }

        internal void Consumed(Guid messageId)
        {
            _consumed.TryAdd(messageId, true);
            _inFlight.TryRemove(messageId, out _);
        }
    }

    public void MapFulfillment(Guid fulfillmentId, string orderId) => _fulfillmentOrders[fulfillmentId] = orderId;

    public OrderTrace Trace(string orderId) => _orders.GetOrAdd(orderId, _ => new OrderTrace());

    public async Task WaitUntilQuietAsync(string orderId, TimeSpan timeout)
    {
        var trace = Trace(orderId);
        var deadline = DateTime.UtcNow + timeout;
        while (!trace.Quiet)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"order {orderId}: messages still in flight after {timeout.TotalSeconds} s");
            await Task.Delay(1);
        }
    }

    string? OrderOf(object message) => message switch
    {
        OrderConfirmed m => m.OrderId,
        OrderCancellationRequested m => m.OrderId,
        DeliveryConfirmed m => m.OrderId,
        OrderStatusChanged m => m.OrderId,
        FulfillmentStatusChanged m => m.OrderId,
        FulfillmentRequested m => m.OrderId,
        OrderCancellationRefused m => m.OrderId,
        WarehousePickingStarted m => Fulfillment(m.FulfillmentId),
        WarehousePicked m => Fulfillment(m.FulfillmentId),
        WarehousePackingStarted m => Fulfillment(m.FulfillmentId),
        WarehousePacked m => Fulfillment(m.FulfillmentId),
        WarehouseReadyToShip m => Fulfillment(m.FulfillmentId),
        WarehouseShipped m => Fulfillment(m.FulfillmentId),
        WarehouseCompleted m => Fulfillment(m.FulfillmentId),
        WarehouseCancelled m => Fulfillment(m.FulfillmentId),
        _ => null,
    };

    string? Fulfillment(Guid id) => _fulfillmentOrders.TryGetValue(id, out var order) ? order : null;

    public Task PrePublish<T>(PublishContext<T> context)
        where T : class
    {
        if (OrderOf(context.Message) is { } order)
        {
            var trace = Trace(order);
            trace.Published(context.MessageId!.Value);
            if (context.Message is FulfillmentStatusChanged or OrderStatusChanged or OrderCancellationRefused)
                trace.Events.Enqueue(context.Message);
        }

        return Task.CompletedTask;
    }

    public Task PostPublish<T>(PublishContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    public Task PreConsume<T>(ConsumeContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class
    {
        if (OrderOf(context.Message) is { } order)
            Trace(order).Consumed(context.MessageId!.Value);
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class
    {
        if (OrderOf(context.Message) is { } order)
        {
            var trace = Trace(order);
            trace.Faults[context.MessageId!.Value] = exception;
            trace.Consumed(context.MessageId!.Value);
        }

        return Task.CompletedTask;
    }
}
