using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Cli.Messages;
using OrderFulfillment.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OrderFulfillment.Cli.Simulation;

public sealed record SimulationOptions(int Orders, int Warehouses, int Concurrency, TimeSpan Timeout);

public sealed record SimulationSummary(
    string Run, int Orders, int Delivered, long Published, long EventsReceived, TimeSpan Elapsed, int Failures, int TimedOut, IReadOnlyList<string> Notes);

/// <summary>
/// Drives orders through their whole lifecycle over plain AMQP, as checkout, a WMS and a carrier would: confirms each
/// order, and on each <c>fulfillment.status_changed</c> publishes the fulfillment's next warehouse step (one at a time,
/// always waiting for the change it caused), then <c>delivery.confirmed</c> once it has shipped. An order is done when
/// its <c>order.status_changed</c> says delivered; at most <c>Concurrency</c> orders are in flight.
/// </summary>
public sealed class Simulator(Broker broker, SimulationOptions options) : IDisposable
{
    const string Carrier = "SIM-CARRIER";

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
        foreach (var exchange in WarehouseStep.All.Select(s => s.Exchange)
                     .Concat([OrderConfirmed.Exchange, DeliveryConfirmed.Exchange, FulfillmentStatusChanged.Exchange, OrderStatusChanged.Exchange]))
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
            using var document = JsonDocument.Parse(delivery.Body);
            body = document.RootElement.TryGetProperty("message", out var message) ? message.Clone() : document.RootElement.Clone();
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
        // Delivery is at least once: act on each status of a fulfillment once.
        if (!order.Seen.Add((fulfillmentId, status)))
            return;
        if (status == FulfillmentStatuses.Cancelled)
        {
            Fail(order, $"fulfillment {fulfillmentId} was cancelled");
            return;
        }

        var id = fulfillmentId.ToString();
        if (WarehouseStep.After(status) is { } step)
        {
            var at = Json.Timestamp(DateTimeOffset.UtcNow);
            object body = step == WarehouseStep.Shipped
                ? new { fulfillmentId, occurredAt = at, carrier = Carrier, trackingNumber = $"SIM{id[..8].ToUpperInvariant()}" }
                : new { fulfillmentId, occurredAt = at };
            await PublishAsync(step.Exchange, body, $"sim-{id}-{step.Name}", ct);
        }

        if (status == FulfillmentStatuses.Shipped)
        {
            await PublishAsync(DeliveryConfirmed.Exchange, new
            {
                orderId = order.OrderId,
                fulfillmentId,
                deliveredAt = Json.Timestamp(DateTimeOffset.UtcNow),
                carrier = Carrier,
                trackingNumber = $"SIM{id[..8].ToUpperInvariant()}",
            }, $"sim-{id}-delivered", ct);
        }
    }

    async Task StartNextOrderAsync(CancellationToken ct)
    {
        var i = ++_started;
        var order = new SimulatedOrder(string.Create(CultureInfo.InvariantCulture, $"SIM-{_run}-{i}"));
        _orders[order.OrderId] = order;
        await PublishAsync(OrderConfirmed.Exchange, new
        {
            orderId = order.OrderId,
            confirmedAt = Json.Timestamp(DateTimeOffset.UtcNow),
            lines = new object[]
            {
                new { sku = "SKU-SIM-A", quantity = 1 + (i % 3), warehouseId = Warehouse(i) },
                new { sku = "SKU-SIM-B", quantity = 1 + (i % 5), warehouseId = Warehouse(i + 1) },
                new { sku = "SKU-SIM-C", quantity = 1 },
            },
        }, $"sim-{order.OrderId}-confirmed", ct);
    }

    string Warehouse(int i) => string.Create(CultureInfo.InvariantCulture, $"WH-SIM-{(i % options.Warehouses) + 1}");

    async Task PublishAsync(string exchange, object body, string messageId, CancellationToken ct)
    {
        await broker.PublishJsonAsync(exchange, body, messageId, ct);
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
        catch (CliException exception)
        {
            _notes.Add(exception.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    sealed class SimulatedOrder(string orderId)
    {
        public string OrderId { get; } = orderId;
        public bool Done { get; set; }
        public HashSet<(Guid, string)> Seen { get; } = [];
    }
}
