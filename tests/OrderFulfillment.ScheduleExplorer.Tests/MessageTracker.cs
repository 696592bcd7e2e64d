using System.Collections.Concurrent;
using MassTransit;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Fulfillments;

namespace OrderFulfillment.ScheduleExplorer.Tests;

/// <summary>
/// Watches every publish and every command sent to a saga on the harness buses, and wraps every endpoint's consume pipeline, per order: so a schedule's
/// next message is sent only when everything the previous one set off has been handled, and so the events and faults
/// of each order are known.
/// </summary>
/// <remarks>
/// As a filter it is the outermost of every endpoint's consume pipeline (a bus-level filter), so a message counts as
/// handled only after its retries and after its outbox has published what it committed; an exception that leaves it is
/// the message's final fault, on its way to the error queue.
/// </remarks>
public sealed class MessageTracker : IPublishObserver, ISendObserver, IFilter<ConsumeContext>
{
    readonly ConcurrentDictionary<string, OrderTrace> _orders = new();
    readonly ConcurrentDictionary<Guid, string> _fulfillmentOrders = new();
    readonly ConcurrentDictionary<Guid, string> _messageOrders = new();

    /// <summary>One order's messages: in flight until every endpoint that consumes them has handled (or faulted) them.</summary>
    public sealed class OrderTrace
    {
        readonly Dictionary<Guid, int> _awaited = new();
        readonly HashSet<Guid> _published = new();

        public ConcurrentQueue<object> Events { get; } = new();
        public ConcurrentDictionary<Guid, Exception> Faults { get; } = new();

        /// <summary>The ids of every message of this order seen so far.</summary>
        public IEnumerable<Guid> MessageIds
        {
            get
            {
                lock (_awaited)
                    return [.. _published];
            }
        }

        TaskCompletionSource? _quiet;

        /// <summary>Completes when every awaited message has been consumed (at once if none is).</summary>
        public Task WhenQuiet()
        {
            lock (_awaited)
            {
                if (_awaited.Count == 0)
                    return Task.CompletedTask;
                _quiet ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _quiet.Task;
            }
        }

        /// <summary>A message is awaited once per endpoint that consumes its type; a republished id is not awaited again.</summary>
        internal void Published(Guid messageId, int consumers)
        {
            lock (_awaited)
                if (_published.Add(messageId))
                    Count(messageId, consumers);
        }

        internal void Consumed(Guid messageId)
        {
            lock (_awaited)
                Count(messageId, -1);
        }

        void Count(Guid messageId, int delta)
        {
            var left = _awaited.GetValueOrDefault(messageId) + delta;
            if (left > 0)
            {
                _awaited[messageId] = left;
                return;
            }

            _awaited.Remove(messageId);
            if (_awaited.Count == 0)
            {
                _quiet?.TrySetResult();
                _quiet = null;
            }
        }
    }

    public void MapFulfillment(Guid fulfillmentId, string orderId) => _fulfillmentOrders[fulfillmentId] = orderId;

    public void Forget(string orderId, IEnumerable<Guid> fulfillmentIds)
    {
        if (_orders.TryRemove(orderId, out var trace))
            foreach (var id in trace.MessageIds)
                _messageOrders.TryRemove(id, out _);
        foreach (var id in fulfillmentIds)
            _fulfillmentOrders.TryRemove(id, out _);
    }

    public OrderTrace Trace(string orderId) => _orders.GetOrAdd(orderId, _ => new OrderTrace());

    /// <summary>A message of the order that the explorer sends to one queue itself (not published): awaited once.</summary>
    public void Sending(string orderId, Guid messageId)
    {
        _messageOrders[messageId] = orderId;
        Trace(orderId).Published(messageId, 1);
    }

    public async Task WaitUntilQuietAsync(string orderId, TimeSpan timeout)
    {
        try
        {
            await Trace(orderId).WhenQuiet().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"order {orderId}: messages still in flight after {timeout.TotalSeconds} s");
        }
    }

    /// <summary>
    /// How many receive endpoints consume each message type, as the services wire them: a cancellation request is
    /// consumed by the order-status saga and by the fulfillment service's order-events endpoint; every other type by one.
    /// Too low a count lets a schedule go on before a consumer has run; too high one makes it time out, naming the order.
    /// </summary>
    static int ConsumersOf(object message) => message is OrderCancellationRequested ? 2 : 1;

    string? OrderOf(object message) => message switch
    {
        OrderConfirmed m => m.OrderId,
        OrderCancellationRequested m => m.OrderId,
        DeliveryConfirmed m => m.OrderId,
        OrderStatusChanged m => m.OrderId,
        FulfillmentStatusChanged m => m.OrderId,
        OrderCancellationRefused m => m.OrderId,
        FulfillmentPlanned m => m.OrderId,
        CancelledWithOrder m => Fulfillment(m.FulfillmentId),
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
            var messageId = context.MessageId!.Value;
            _messageOrders[messageId] = order;
            var trace = Trace(order);
            trace.Published(messageId, ConsumersOf(context.Message));
            if (context.Message is FulfillmentStatusChanged or OrderStatusChanged or OrderCancellationRefused)
                trace.Events.Enqueue(context.Message);
        }

        return Task.CompletedTask;
    }

    /// <summary>The commands the consumers of order events send to the fulfillment saga's queue: awaited like an event.</summary>
    public Task PreSend<T>(SendContext<T> context)
        where T : class
    {
        if (context.Message is FulfillmentPlanned or CancelledWithOrder && OrderOf(context.Message) is { } order)
        {
            var messageId = context.MessageId!.Value;
            _messageOrders[messageId] = order;
            Trace(order).Published(messageId, 1);
        }

        return Task.CompletedTask;
    }

    public Task PostSend<T>(SendContext<T> context)
        where T : class => Task.CompletedTask;

    public Task SendFault<T>(SendContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;

    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception exception)
        {
            if (OrderOfMessage(context) is { } faulted)
            {
                faulted.Faults[context.MessageId!.Value] = exception;
                faulted.Consumed(context.MessageId!.Value);
            }

            throw;
        }

        OrderOfMessage(context)?.Consumed(context.MessageId!.Value);
    }

    OrderTrace? OrderOfMessage(ConsumeContext context) =>
        context.MessageId is { } id && _messageOrders.TryGetValue(id, out var order) && _orders.TryGetValue(order, out var trace) ? trace : null;

    public void Probe(ProbeContext context) => context.CreateFilterScope("scheduleExplorerTracker");
}
