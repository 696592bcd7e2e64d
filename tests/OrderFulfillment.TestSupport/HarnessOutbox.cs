using MassTransit;
using MassTransit.Serialization;
using Npgsql;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.TestSupport;

/// <summary>
/// The service's outbox and inbox in a harness host's PostgreSQL database, as a test reads them: whether a message's
/// transaction has committed and all that committed has been delivered, what waits scheduled, and what delivery sent.
/// </summary>
sealed class HarnessOutbox(string connectionString)
{
    /// <summary>
    /// Whether nothing committed waits for delivery, and <paramref name="messageId"/> (when given) is in the inbox: its
    /// transaction has committed. Delivery deletes a row once the broker (here the in-memory transport) has taken it.
    /// </summary>
    public async Task<bool> DeliveredAsync(Guid? messageId)
    {
        await using var connection = await OpenAsync();
        await using var delivered = new NpgsqlCommand($"""
            SELECT NOT EXISTS (SELECT 1 FROM {TransactionalOutboxTables.OutboxMessage} WHERE delivered_at IS NULL)
               AND (@id IS NULL OR EXISTS (SELECT 1 FROM {TransactionalOutboxTables.InboxMessage} WHERE message_id = @id))
            """, connection);
        delivered.Parameters.Add(new NpgsqlParameter<string?>("id", messageId?.ToString()));
        return (bool)(await delivered.ExecuteScalarAsync())!;
    }

    /// <summary>How many scheduled messages (deadlines, ends of hold windows) wait to be due.</summary>
    public async Task<long> ScheduledCountAsync()
    {
        await using var connection = await OpenAsync();
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {TransactionalOutboxTables.OutboxScheduledMessage}", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// A message delivery sent, read back from its body as a <typeparamref name="T"/>; null when it is another type. Delivery
    /// sends each stored body as it is, so the harness lists it as a sent <see cref="SerializedMessageBody"/>, not as published.
    /// </summary>
    public static T? Read<T>(SendContext<SerializedMessageBody> context)
        where T : class
    {
        var deserializer = context.Serialization.GetMessageDeserializer(context.ContentType);
        var body = deserializer.Deserialize(context.Serializer.GetMessageBody(context), context.Headers, context.DestinationAddress);
        return body.TryGetMessage<T>(out var message) ? message : null;
    }

    async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}
