using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OrderFulfillment.Benchmarks.Flow;

/// <summary>
/// A checkout, a WMS and a carrier in one plain AMQP client (no MassTransit), as Burst.cs in the integration tests but
/// reacting to each event as it arrives: it publishes order.confirmed, then for each announced fulfillment status the
/// next warehouse step, and delivery.confirmed once a fulfillment has shipped, until every order is delivered. It notes
/// when each message went out and when each event came in.
/// </summary>
public sealed class FlowDriver : IAsyncDisposable
{
    public const string OrderConfirmed = "order.confirmed";
    public const string OrderStatusChanged = "order.status_changed";
    public const string FulfillmentStatusChanged = "fulfillment.status_changed";
    public const string DeliveryConfirmed = "delivery.confirmed";

    /// <summary>The warehouse step that follows each announced status, and the status that step leads to.</summary>
    static readonly Dictionary<string, (string Step, string Leads)> NextStep = new()
    {
        ["planning"] = ("warehouse.picking_started", "picking"),
        ["picking"] = ("warehouse.picked", "picked"),
        ["picked"] = ("warehouse.packing_started", "packing"),
        ["packing"] = ("warehouse.packed", "packed"),
        ["packed"] = ("warehouse.ready_to_ship", "ready"),
        ["ready"] = ("warehouse.shipped", "shipped"),
        ["shipped"] = ("warehouse.completed", "completed"),
    };

    static readonly string[] Exchanges =
    [
        OrderConfirmed, OrderStatusChanged, FulfillmentStatusChanged, DeliveryConfirmed,
        .. NextStep.Values.Select(v => v.Step),
    ];

    readonly IConnection _connection;
    readonly IChannel _observer;
    readonly List<IChannel> _publishers = [];
    // Steps and deliveries (written by the event handler) and orders have lanes of their own: a burst of orders never
    // holds back the steps of orders already under way.
    readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    readonly Channel<Outgoing> _orderLane = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    readonly List<Task> _workers = [];
    readonly ConcurrentDictionary<string, OrderTrack> _orders = new();
    readonly Dictionary<Guid, FulfillmentTrack> _fulfillments = [];
    readonly ConcurrentDictionary<(Guid, string), long> _stepPublishedAt = new();
    readonly object _latencyLock = new();
    List<double> _confirmToPlanning = [];
    List<double> _stepToEvent = [];
    TaskCompletionSource _allDelivered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _expected = int.MaxValue;
    int _delivered;
    int _fulfillmentsSeen;
    long _published;
    long _events;
    long _duplicateEvents;

    FlowDriver(IConnection connection, IChannel observer)
    {
        _connection = connection;
        _observer = observer;
    }

    public long Published => Interlocked.Read(ref _published);
    public long Events => Interlocked.Read(ref _events);
    public long DuplicateEvents => Interlocked.Read(ref _duplicateEvents);
    public int Delivered => Volatile.Read(ref _delivered);
    public int FulfillmentsSeen => Volatile.Read(ref _fulfillmentsSeen);
    public long LastDeliveredAt { get; private set; }

    sealed record Outgoing(string Exchange, byte[] Body, string MessageId, Guid? FulfillmentId, string? Leads, string? OrderId);

    sealed class OrderTrack
    {
        public long ConfirmPublishedAt;
        public bool Planned;
        public bool Delivered;
    }

    sealed class FulfillmentTrack
    {
        public readonly HashSet<int> Sequences = [];
        public readonly HashSet<string> Sent = [];
    }

    public static async Task<FlowDriver> StartAsync(string vhost, int publishers = 8)
    {
        var connection = await Infra.ConnectAsync(vhost, "bench-flow-driver");
        var observer = await connection.CreateChannelAsync();
        foreach (var exchange in Exchanges)
            await observer.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        await observer.QueueDeclareAsync("bench-observer", durable: true, exclusive: false, autoDelete: false);
        await observer.QueueBindAsync("bench-observer", OrderStatusChanged, "");
        await observer.QueueBindAsync("bench-observer", FulfillmentStatusChanged, "");
        await observer.BasicQosAsync(0, 1000, false);
        var driver = new FlowDriver(connection, observer);
        for (var i = 0; i < publishers + 2; i++)
        {
            var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
            driver._publishers.Add(channel);
            var lane = i < publishers ? driver._outgoing : driver._orderLane;
            driver._workers.Add(Task.Run(() => driver.PublishLoopAsync(channel, lane)));
        }

        var consumer = new AsyncEventingBasicConsumer(observer);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            driver.OnEvent(delivery.Exchange, delivery.BasicProperties.ContentType, delivery.Body.Span);
            await observer.BasicAckAsync(delivery.DeliveryTag, false);
        };
        await observer.BasicConsumeAsync("bench-observer", false, consumer);
        return driver;
    }

    /// <summary>Starts a new measurement: clears the latencies and expects <paramref name="orders"/> more orders delivered.</summary>
    public void BeginMeasurement(int orders)
    {
        lock (_latencyLock)
        {
            _confirmToPlanning = [];
            _stepToEvent = [];
            _allDelivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _expected = Delivered + orders;
        }
    }

    public (Percentiles ConfirmToPlanning, Percentiles StepToEvent) Latencies()
    {
        lock (_latencyLock)
            return (Percentiles.Of(_confirmToPlanning), Percentiles.Of(_stepToEvent));
    }

    public async Task WaitAllDeliveredAsync(TimeSpan timeout, Func<string> progress)
    {
        var deadline = Stopwatch.StartNew();
        Task done;
        lock (_latencyLock)
            done = _allDelivered.Task;
        var lastReport = Stopwatch.StartNew();
        while (!done.IsCompleted)
        {
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"{Delivered:N0} of {_expected:N0} orders delivered after {timeout.TotalSeconds:0} s; {progress()}");
            await Task.WhenAny(done, Task.Delay(1000));
            if (lastReport.Elapsed > TimeSpan.FromSeconds(15))
            {
                Console.Error.WriteLine($"[bench]   {Delivered:N0}/{_expected:N0} delivered, {Events:N0} events, {Published:N0} published; {progress()}");
                lastReport.Restart();
            }
        }
    }

    /// <summary>Queues an order.confirmed: two lines with a warehouse each and one without (assigned by routing).</summary>
    public async ValueTask ConfirmOrderAsync(string orderId, string unassignedSku)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            orderId,
            confirmedAt = DateTimeOffset.UtcNow,
            lines = new object[]
            {
                new { sku = "SKU-1", quantity = 2, warehouseId = "WH-EAST" },
                new { sku = "SKU-2", quantity = 1, warehouseId = "WH-WEST" },
                new { sku = unassignedSku, quantity = 5 },
            },
        }, JsonSerializerOptions.Web);
        _orders[orderId] = new OrderTrack();
        await _orderLane.Writer.WriteAsync(new Outgoing(OrderConfirmed, body, "checkout-" + orderId, null, null, orderId));
    }

    /// <summary>Orders queued but not yet published.</summary>
    public int OrdersQueued => _orderLane.Reader.Count;

    async Task PublishLoopAsync(IChannel channel, Channel<Outgoing> lane)
    {
        await foreach (var message in lane.Reader.ReadAllAsync())
        {
            var properties = new BasicProperties
            {
                ContentType = "application/json",
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = message.MessageId,
            };
            var now = Stopwatch.GetTimestamp();
            if (message.OrderId is not null && _orders.TryGetValue(message.OrderId, out var order))
                order.ConfirmPublishedAt = now;
            if (message.FulfillmentId is { } fulfillmentId && message.Leads is not null)
                _stepPublishedAt[(fulfillmentId, message.Leads)] = now;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await channel.BasicPublishAsync(message.Exchange, "", true, properties, message.Body);
                    break;
                }
                catch (Exception exception) when (attempt < 5 && exception is not ObjectDisposedException)
                {
                    Console.Error.WriteLine($"[bench] publish to {message.Exchange} failed ({exception.Message}); retrying");
                    await Task.Delay(200);
                }
            }

            Interlocked.Increment(ref _published);
        }
    }

    /// <summary>Runs on the consumer's dispatcher, one event at a time.</summary>
    void OnEvent(string exchange, string? contentType, ReadOnlySpan<byte> body)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _events);
        using var document = JsonDocument.Parse(body.ToArray());
        var root = document.RootElement;
        if (contentType == "application/vnd.masstransit+json" && root.TryGetProperty("message", out var message))
            root = message;
        var orderId = root.GetProperty("orderId").GetString()!;
        var status = root.GetProperty("status").GetString()!;

        if (exchange == OrderStatusChanged)
        {
            if (status == "delivered" && _orders.TryGetValue(orderId, out var order) && !order.Delivered)
            {
                order.Delivered = true;
                LastDeliveredAt = now;
                var delivered = Interlocked.Increment(ref _delivered);
                lock (_latencyLock)
                {
                    if (delivered >= _expected)
                        _allDelivered.TrySetResult();
                }
            }

            return;
        }

        var fulfillmentId = root.GetProperty("fulfillmentId").GetGuid();
        var sequence = root.GetProperty("sequence").GetInt32();
        if (!_fulfillments.TryGetValue(fulfillmentId, out var track))
        {
            _fulfillments[fulfillmentId] = track = new FulfillmentTrack();
            Interlocked.Increment(ref _fulfillmentsSeen);
        }

        if (!track.Sequences.Add(sequence))
        {
            Interlocked.Increment(ref _duplicateEvents);
            return;
        }

        var ms = 0.0;
        if (status == "planning" && _orders.TryGetValue(orderId, out var planned) && !planned.Planned && planned.ConfirmPublishedAt != 0)
        {
            planned.Planned = true;
            ms = (now - planned.ConfirmPublishedAt) * 1000.0 / Stopwatch.Frequency;
            lock (_latencyLock)
                _confirmToPlanning.Add(ms);
        }

        if (_stepPublishedAt.TryRemove((fulfillmentId, status), out var stepAt))
        {
            ms = (now - stepAt) * 1000.0 / Stopwatch.Frequency;
            lock (_latencyLock)
                _stepToEvent.Add(ms);
        }

        if (NextStep.TryGetValue(status, out var next) && track.Sent.Add(next.Step))
        {
            var id = fulfillmentId.ToString();
            object step = next.Step == "warehouse.shipped"
                ? new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow, carrier = "UPS", trackingNumber = "1Z" + id[..8] }
                : new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow };
            _outgoing.Writer.TryWrite(new Outgoing(next.Step, JsonSerializer.SerializeToUtf8Bytes(step, JsonSerializerOptions.Web),
                $"{next.Step}:{id}", fulfillmentId, next.Leads, null));
        }

        if (status == "shipped" && track.Sent.Add(DeliveryConfirmed))
        {
            var id = fulfillmentId.ToString();
            var delivery = new { orderId, fulfillmentId, deliveredAt = DateTimeOffset.UtcNow, carrier = "UPS", trackingNumber = "1Z" + id[..8] };
            _outgoing.Writer.TryWrite(new Outgoing(DeliveryConfirmed, JsonSerializer.SerializeToUtf8Bytes(delivery, JsonSerializerOptions.Web),
                $"delivery:{id}", null, null, null));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _outgoing.Writer.TryComplete();
        _orderLane.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception exception) when (exception is TimeoutException or RabbitMQ.Client.Exceptions.AlreadyClosedException)
        {
        }

        foreach (var channel in _publishers)
            await channel.DisposeAsync();
        await _observer.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
