using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OrderFulfillment.TestSupport;

/// <summary>
/// A plain AMQP client, as a checkout or WMS written in another language would be: it publishes the contract's JSON
/// to the contract's exchanges and reads events from a queue it binds itself. No MassTransit.
/// </summary>
public sealed class PlainAmqp : IAsyncDisposable
{
    readonly IConnection _connection;
    readonly IChannel _publisher;

    PlainAmqp(IConnection connection, IChannel publisher)
    {
        _connection = connection;
        _publisher = publisher;
    }

    public static Task<PlainAmqp> ConnectAsync(string virtualHost) =>
        ConnectAsync(virtualHost, [new AmqpTcpEndpoint(TestInfrastructure.RabbitHost, TestInfrastructure.RabbitPort)]);

    /// <summary>Connects to the first node that answers, and after a connection loss recovers to any of them.</summary>
    public static async Task<PlainAmqp> ConnectAsync(string virtualHost, IReadOnlyList<AmqpTcpEndpoint> nodes)
    {
        var factory = new ConnectionFactory
        {
            VirtualHost = virtualHost,
            UserName = TestInfrastructure.RabbitUser,
            Password = TestInfrastructure.RabbitPassword,
            AutomaticRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(1),
        };
        var connection = await factory.CreateConnectionAsync(nodes, ClientName);
        var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        return new PlainAmqp(connection, publisher);
    }

    /// <summary>Publishes a body as it is, persistent, and waits for the broker's confirm.</summary>
    public Task PublishAsync(string exchange, string body, string? messageId = null, string contentType = "application/json",
        IDictionary<string, object?>? headers = null) =>
        PublishBytesAsync(exchange, Encoding.UTF8.GetBytes(body), messageId, contentType, headers);

    /// <summary>Publishes bytes as they are (which need not be valid UTF-8), persistent, and waits for the broker's confirm.</summary>
    public async Task PublishBytesAsync(string exchange, byte[] body, string? messageId = null, string contentType = "application/json",
        IDictionary<string, object?>? headers = null)
    {
        await _publisher.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        var properties = new BasicProperties
        {
            ContentType = contentType,
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = messageId,
            Headers = headers,
        };
        await _publisher.BasicPublishAsync(exchange, "", true, properties, body);
    }

    /// <summary>Puts bytes straight into a queue (declared durable if missing), through the default exchange.</summary>
    public async Task PutInQueueAsync(string queue, byte[] body, string? messageId, IDictionary<string, object?> headers)
    {
        await _publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, MessageId = messageId, Headers = headers };
        await _publisher.BasicPublishAsync("", queue, true, properties, body);
    }

    public Task PublishAsync(string exchange, object body, string? messageId = null) =>
        PublishAsync(exchange, JsonSerializer.Serialize(body, JsonSerializerOptions.Web), messageId);

    /// <summary>The connection name, as the broker's management API shows it.</summary>
    public const string ClientName = "plain-amqp-test-client";

    /// <summary>Binds a fresh queue to the exchanges and collects everything that arrives on it.</summary>
    public Task<EventLog> ObserveAsync(params string[] exchanges) => ObserveAsync(null, exchanges);

    /// <summary>As <see cref="ObserveAsync(string[])"/>, with queue arguments (<c>x-queue-type: quorum</c> to survive a node).</summary>
    public async Task<EventLog> ObserveAsync(IDictionary<string, object?>? queueArguments, params string[] exchanges)
    {
        var channel = await _connection.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync($"observer-{Guid.NewGuid():N}", durable: true, exclusive: false, autoDelete: false,
            arguments: queueArguments)).QueueName;
        foreach (var exchange in exchanges)
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
            await channel.QueueBindAsync(queue, exchange, "");
        }

        var log = new EventLog(channel, queue);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            log.Add(delivery.Exchange, delivery.BasicProperties.ContentType, delivery.Body.ToArray(),
                delivery.BasicProperties.Headers?.TryGetValue("traceparent", out var traceParent) == true && traceParent is byte[] bytes ? Encoding.UTF8.GetString(bytes) : null);
            await channel.BasicAckAsync(delivery.DeliveryTag, false);
        };
        await channel.BasicConsumeAsync(queue, false, consumer);
        return log;
    }

    /// <summary>Counts the messages waiting in a queue (an error queue, say).</summary>
    public async Task<uint> MessageCountAsync(string queue)
    {
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>Waits until a queue holds at least <paramref name="count"/> messages.</summary>
    public async Task WaitForQueueAsync(string queue, uint count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        uint seen;
        while ((seen = await MessageCountAsync(queue)) < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{queue} holds {seen} messages, expected {count}");
            await Task.Delay(100); // the interval of a poll of the queue's count, not a quiet period
        }
    }

    /// <summary>
    /// Takes one message from a queue and gives it back unprocessed (<c>basic.nack</c> with requeue), as a consumer that keeps
    /// failing would: a quorum queue counts each such delivery against its <c>delivery-limit</c>. False when the queue is empty.
    /// </summary>
    public async Task<bool> RejectAndRequeueAsync(string queue)
    {
        await using var channel = await _connection.CreateChannelAsync();
        var message = await channel.BasicGetAsync(queue, autoAck: false);
        if (message is null)
            return false;
        await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true);
        return true;
    }

    /// <summary>Reads the first message of a queue and leaves it there (<c>basic.nack</c> with requeue), or null when it is empty.</summary>
    public async Task<BasicGetResult?> PeekAsync(string queue)
    {
        await using var channel = await _connection.CreateChannelAsync();
        var message = await channel.BasicGetAsync(queue, autoAck: false);
        if (message is not null)
            await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true);
        return message;
    }

    /// <summary>Takes one message from a queue (acknowledged), or null when it is empty or does not exist.</summary>
    public async Task<BasicGetResult?> GetAsync(string queue)
    {
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            return await channel.BasicGetAsync(queue, autoAck: true);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return null;
        }
    }

    /// <summary>Takes every message off <paramref name="queue"/>, acknowledged, as if its consumer had lost them; returns how many.</summary>
    public async Task<int> EmptyAsync(string queue)
    {
        var taken = 0;
        while (await GetAsync(queue) is not null)
            taken++;
        return taken;
    }

    public async ValueTask DisposeAsync()
    {
        await _publisher.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

/// <summary>One event as a plain consumer sees it: the exchange, the content type, and the contract body.</summary>
public sealed record ObservedEvent(string Exchange, string? ContentType, JsonElement Body)
{
    /// <summary>The W3C <c>traceparent</c> header the message carried, if any.</summary>
    public string? TraceParent { get; init; }

    public string? Text(string field) => Body.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public int Number(string field) => Body.GetProperty(field).GetInt32();
}

/// <summary>The events a plain consumer received, in arrival order.</summary>
public sealed class EventLog(IChannel channel, string queue) : IAsyncDisposable
{
    readonly ConcurrentQueue<ObservedEvent> _events = new();

    public IReadOnlyList<ObservedEvent> Events => [.. _events];

    internal void Add(string exchange, string? contentType, byte[] body, string? traceParent = null)
    {
        var root = JsonDocument.Parse(body).RootElement.Clone();
        // The MassTransit envelope carries the contract body in its "message" field.
        if (contentType == "application/vnd.masstransit+json" && root.TryGetProperty("message", out var message))
            root = message;
        _events.Enqueue(new ObservedEvent(exchange, contentType, root) { TraceParent = traceParent });
    }

    public async Task<IReadOnlyList<ObservedEvent>> WaitForAsync(Func<IReadOnlyList<ObservedEvent>, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(Events))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}; saw {Events.Count} events:\n" +
                                           string.Join("\n", Events.Select(e => $"{e.Exchange} {e.Body}")));
            await Task.Delay(50); // the interval of a poll of what the consumer has taken, not a quiet period
        }

        return Events;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await channel.QueueDeleteAsync(queue);
        }
        catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.AlreadyClosedException
                                              or RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
        }

        await channel.DisposeAsync();
    }
}

/// <summary>Reading what a plain consumer took from a queue (an error queue's fault headers, say).</summary>
public static class AmqpMessages
{
    /// <summary>A header as text ("" when it is missing): AMQP carries strings as bytes.</summary>
    public static string Header(this BasicGetResult message, string name)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.BasicProperties.Headers is { } headers && headers.TryGetValue(name, out var value) ? value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            null => "",
            _ => value.ToString() ?? "",
        } : "";
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            await Task.Delay(100); // the interval of a poll of the condition, not a quiet period
        }
    }
}
