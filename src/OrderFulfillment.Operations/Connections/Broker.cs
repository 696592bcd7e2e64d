using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace OrderFulfillment.Operations.Connections;

/// <summary>
/// A plain AMQP 0-9-1 connection, as any non-.NET producer would have: persistent JSON messages published to the
/// contract's fanout exchanges with publisher confirms and <c>mandatory</c>, so a message no queue takes is reported.
/// </summary>
public sealed class Broker : IAsyncDisposable
{
    public const string JsonContentType = "application/json";

    readonly IConnection _connection;
    readonly IChannel _publisher;
    readonly HashSet<string> _knownExchanges = new(StringComparer.Ordinal);

    Broker(IConnection connection, IChannel publisher, ConnectionSettings settings)
    {
        _connection = connection;
        _publisher = publisher;
        Settings = settings;
    }

    public ConnectionSettings Settings { get; }

    public static async Task<Broker> ConnectAsync(ConnectionSettings settings, CancellationToken ct, ushort consumerDispatchConcurrency = 1)
    {
        var factory = new ConnectionFactory
        {
            HostName = settings.Host,
            Port = settings.Port,
            VirtualHost = settings.VirtualHost,
            UserName = settings.Username,
            Password = settings.Password,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            AutomaticRecoveryEnabled = false,
            ConsumerDispatchConcurrency = consumerDispatchConcurrency,
        };
        IConnection? connection = null;
        try
        {
            connection = await factory.CreateConnectionAsync(settings.ClientName, ct);
            // A missing vhost or missing permissions show here, when the broker closes the new connection.
            var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);
            return new Broker(connection, publisher, settings);
        }
        catch (Exception exception) when (exception is BrokerUnreachableException or SocketException or AuthenticationFailureException
                                              or OperationInterruptedException or AlreadyClosedException or TimeoutException)
        {
            if (connection is not null)
                await connection.DisposeAsync();
            throw OperationException.Unreachable($"cannot connect to RabbitMQ at {settings.BrokerDisplay} as '{settings.Username}': {Reason(exception)}", exception);
        }
    }

    /// <summary>A channel of its own, for consuming or for a replay (publisher confirms on).</summary>
    public Task<IChannel> OpenChannelAsync(CancellationToken ct) => _connection.CreateChannelAsync(new CreateChannelOptions(true, true), ct);

    /// <summary>Publishes one contract message as plain JSON and waits for the broker's confirm; returns its message id.</summary>
    public async Task<string> PublishJsonAsync(string exchange, object body, string? messageId, CancellationToken ct)
    {
        await EnsureExchangeAsync(exchange, ct);
        var id = messageId ?? Guid.NewGuid().ToString();
        var properties = new BasicProperties
        {
            ContentType = JsonContentType,
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = id,
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, Json.Options);
        await PublishAsync(_publisher, exchange, "", properties, bytes, ct);
        return id;
    }

    /// <summary>Checks that an exchange exists (the services declare theirs when they start).</summary>
    public async Task EnsureExchangeAsync(string exchange, CancellationToken ct)
    {
        if (_knownExchanges.Contains(exchange))
            return;
        await using var probe = await _connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            await probe.ExchangeDeclarePassiveAsync(exchange, ct);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            throw OperationException.Failed(
                $"exchange '{exchange}' does not exist in vhost '{Settings.VirtualHost}': the services declare it when they start (are they running on this vhost?)");
        }

        _knownExchanges.Add(exchange);
    }

    /// <summary>The number of ready messages in a queue, or null when there is no such queue.</summary>
    public async Task<uint?> QueueMessageCountAsync(string queue, CancellationToken ct)
    {
        await using var probe = await _connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            return (await probe.QueueDeclarePassiveAsync(queue, ct)).MessageCount;
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    /// <summary>Publishes with <c>mandatory</c> on a confirm-tracking channel: returns once the broker has confirmed.</summary>
    public static async Task PublishAsync(IChannel channel, string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body,
        CancellationToken ct)
    {
        try
        {
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, ct);
        }
        catch (PublishReturnException exception)
        {
            var target = exchange.Length == 0 ? $"queue '{routingKey}'" : $"exchange '{exchange}'";
            throw OperationException.Failed($"the broker returned the message: no queue is bound to {target} ({exception.ReplyText}); nothing was delivered");
        }
        catch (PublishException)
        {
            throw OperationException.Failed($"the broker did not confirm the message to '{(exchange.Length == 0 ? routingKey : exchange)}' (nack)");
        }
    }

    static string Reason(Exception exception)
    {
        var messages = new StringBuilder();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (messages.Length > 0)
                messages.Append(": ");
            messages.Append(e.Message);
            if (e is AuthenticationFailureException)
                break;
        }

        return messages.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _publisher.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
