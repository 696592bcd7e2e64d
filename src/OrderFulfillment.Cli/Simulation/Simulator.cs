using System.Diagnostics;
using System.Text.Json;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OrderFulfillment.Cli.Simulation;

/// <summary>
/// Drives orders through their whole lifecycle over plain AMQP, as checkout, a WMS and a carrier would: confirms each
/// order, and on each <c>fulfillment.status_changed</c> publishes the fulfillment's next warehouse step (one at a time,
/// always waiting for the change it caused), then <c>delivery.confirmed</c> once it has shipped. An order is done when
/// its <c>order.status_changed</c> says delivered; at most <c>Concurrency</c> orders are in flight.
/// </summary>
public sealed class Simulator(Broker broker, SimulationOptions options) : IDisposable
{
    readonly string _run = Guid.NewGuid().ToString("N")[..8];
    readonly SemaphoreSlim _gate = new(1, 1);
    readonly Dictionary<string, SimulatedOrder> _orders = new(StringComparer.Ordinal);
    readonly List<string> _notes = [];
    readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _started;
    int _delivered;
    int _failed;
    long _published;
    long _events;

    public async Task<SimulationSummary> RunAsync(Action<int> delivered, CancellationToken ct)
    {
        string[] exchanges = [.. WarehouseSteps.All.Select(s => s.Exchange),
            OrderConfirmed.Exchange, DeliveryConfirmed.Exchange, FulfillmentStatusChanged.Exchange, OrderStatusChanged.Exchange];
        foreach (var exchange in exchanges)
            await broker.EnsureExchangeAsync(exchange, ct);

        await using var listener = await broker.OpenChannelAsync(ct);
        var queue = (await listener.QueueDeclareAsync($"ofctl-simulate-{_run}", durable: false, exclusive: true, autoDelete: true, cancellationToken: ct)).QueueName;
        await listener.QueueBindAsync(queue, FulfillmentStatusChanged.Exchange, "", cancellationToken: ct);
        await listener.QueueBindAsync(queue, OrderStatusChanged.Exchange, "", cancellationToken: ct);
        var consumer = new AsyncEventingBasicConsumer(listener);
        consumer.ReceivedAsync += async (_, delivery) => await OnEventAsync(delivery, delivered, ct);
        await listener.BasicConsumeAsync(queue, autoAck: true, consumer, ct);

        var clock = Stopwatch.StartNew();
        await WithGateAsync(async () =>
        {
            while (_started < Math.Min(options.Concurrency, options.Orders))
                await StartNextOrderAsync(ct);
        }, ct);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        try
        {
            await _finished.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The deadline passed: what is not delivered by now counts as timed out.
        }

        clock.Stop();
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            return new SimulationSummary(_run, options.Orders, _delivered, _published, _events, clock.Elapsed, _failed,
                options.Orders - _delivered - _failed, [.. _notes]);
        }
        finally
        {
            _orders.Clear();
            _gate.Release();
        }
    }

    async Task OnEventAsync(BasicDeliverEventArgs delivery, Action<int> delivered, CancellationToken ct)
    {
        JsonElement body;
        try
        {
            // The services publish the MassTransit envelope: the contract body is its "message" field.
            using var document = JsonDocument.Parse(delivery.Body);
            var root = document.RootElement;
            body = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var message) ? message.Clone() : root.Clone();
        }
        catch (JsonException)
        {
            return;
        }

        await WithGateAsync(async () =>
        {
            if (body.Text("orderId") is not { } orderId || !_orders.TryGetValue(orderId, out var order) || order.Done)
                return;
            _events++;
            if (delivery.Exchange == OrderStatusChanged.Exchange)
                await OnOrderStatusAsync(order, body.Text("status"), delivered, ct);
            else if (delivery.Exchange == FulfillmentStatusChanged.Exchange && Guid.TryParse(body.Text("fulfillmentId"), out var fulfillmentId))
                await OnFulfillmentStatusAsync(order, fulfillmentId, body.Text("status") ?? "", ct);
        }, ct);
    }

    async Task OnOrderStatusAsync(SimulatedOrder order, string? status, Action<int> delivered, CancellationToken ct)
    {
        if (status == OrderStatuses.Delivered)
        {
            order.Done = true;
            delivered(++_delivered);
        }
        else if (status == OrderStatuses.Cancelled)
        {
            Fail(order, "the order was cancelled");
        }
        else
        {
            return;
        }

        if (_started < options.Orders)
            await StartNextOrderAsync(ct);
        if (_delivered + _failed == options.Orders)
            _finished.TrySetResult();
    }

    async Task OnFulfillmentStatusAsync(SimulatedOrder order, Guid fulfillmentId, string status, CancellationToken ct)
    {
        if (status == FulfillmentStatuses.Cancelled)
        {
            Fail(order, $"fulfillment {fulfillmentId} was cancelled");
            return;
        }

        foreach (var message in order.ReactTo(fulfillmentId, status))
            await PublishAsync(message, ct);
    }

    async Task StartNextOrderAsync(CancellationToken ct)
    {
        var order = new SimulatedOrder(_run, ++_started, options.Warehouses);
        _orders[order.OrderId] = order;
        await PublishAsync(order.Confirmation(), ct);
    }

    async Task PublishAsync(SimulatedMessage message, CancellationToken ct)
    {
        await broker.PublishJsonAsync(message.Exchange, message.Body, message.MessageId, ct);
        _published++;
    }

    void Fail(SimulatedOrder order, string why)
    {
        order.Done = true;
        _failed++;
        _notes.Add($"{order.OrderId}: {why}");
    }

    async Task WithGateAsync(Func<Task> action, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await action();
        }
        catch (OperationException exception)
        {
            _notes.Add(exception.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
