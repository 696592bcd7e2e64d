using MassTransit;
using MassTransit.Middleware;
using MassTransit.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OrderFulfillment.Persistence.MessageTransaction;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// Publishes committed outbox messages to the broker in sequence order, a batch at a time with publisher confirms,
/// then deletes them (or marks them delivered, when they are kept for a while). One instance delivers at a time (a
/// transaction-scoped advisory lock, which the others wait for), so the order in which a saga's events were committed
/// is the order they are published in. A crash between publish and marking
/// re-publishes the batch: consumers deduplicate by message id. Before each round it moves scheduled messages that are
/// due into the outbox (<see cref="PromoteDueAsync"/>), so they are delivered as any committed message.
/// </summary>
internal sealed partial class OutboxDeliveryService<TDbContext>(
    IServiceScopeFactory scopeFactory,
    IBus bus,
    OutboxDeliverySignal signal,
    OutboxMetrics metrics,
    DatabaseAvailability<TDbContext> database,
    IOptions<TransactionalOutboxOptions> options,
    ILogger<OutboxDeliveryService<TDbContext>> logger)
    : BackgroundService
    where TDbContext : DbContext
{
    // Any constant shared by all instances of one service; the database is the service's own.
    const long DeliveryLockKey = 0x6f75_7462_6f78; // "outbox"
    static readonly TimeSpan BacklogSampleInterval = TimeSpan.FromSeconds(5);

    // A publish whose connection died abruptly (a broker node killed) may never see its confirm or an error
    // (rabbitmq/rabbitmq-dotnet-client#1930). Without a bound, the round would hang holding the delivery lock and no
    // instance would deliver again; with it, the round fails, rolls back and is sent again on the new connection.
    static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(15);

    // Scheduled messages are looked for at most this often, however busy delivery is.
    static readonly TimeSpan PromotionInterval = TimeSpan.FromMilliseconds(250);
    DateTime _nextBacklogSample;
    DateTime _nextPromotion;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await database.WaitUntilAvailableAsync(stoppingToken).ConfigureAwait(false);
                await PromoteDueAsync(stoppingToken).ConfigureAwait(false);
                // Sampled before the batch: while delivery fails (a broker that blocks publishing) the gauges still grow.
                if (DateTime.UtcNow >= _nextBacklogSample)
                {
                    _nextBacklogSample = DateTime.UtcNow + BacklogSampleInterval;
                    await SampleBacklogAsync(stoppingToken).ConfigureAwait(false);
                }

                var result = await DeliverBatchAsync(stoppingToken).ConfigureAwait(false);
                failures = 0;

                if (result == BatchResult.Full)
                    continue;
                var wait = signal.Until(options.Value.PollInterval, DateTime.UtcNow);
                // Woken by a commit: the commits of the next few milliseconds go in the same round, instead of a
                // round (three round trips) for nearly every message when messages come one at a time.
                if (await signal.WaitAsync(wait, stoppingToken).ConfigureAwait(false) && options.Value.DeliveryCoalescing > TimeSpan.Zero)
                    await Task.Delay(options.Value.DeliveryCoalescing, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The database is down: the pause logs it once, and the next round waits for its return.
                if (DatabaseAvailability<TDbContext>.IsOutage(exception)
                    && await database.ConfirmOutageAsync(exception, stoppingToken).ConfigureAwait(false))
                    continue;
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * Math.Pow(2, Math.Min(failures, 6))));
                LogDeliveryFailed(exception, delay.TotalMilliseconds);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    // A round is three round trips: the lock, the rows, then their delete with the COMMIT.
    async Task<BatchResult> DeliverBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        await using var transaction = await dbContext.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // While another instance delivers, this one waits here (no polling), and then reads what that one left: the
        // rows are read by the next statement, whose snapshot is taken once the lock is held.
        await dbContext.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({DeliveryLockKey})", cancellationToken).ConfigureAwait(false);
        var batchSize = options.Value.DeliveryBatchSize;
        var messages = await dbContext.Set<OutboxMessage>()
            .FromSqlRaw($"SELECT * FROM {TransactionalOutboxTables.OutboxMessage} WHERE delivered_at IS NULL ORDER BY sequence_number LIMIT {{0}}", batchSize)
            .AsNoTracking()
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        if (messages.Count == 0)
            return BatchResult.Empty;

        // Messages with one ordering key go one after another, each awaiting its publisher confirm; keys go side by side.
        await Task.WhenAll(messages.GroupBy(m => m.OrderingKey).Select(group => SendInOrderAsync(group, cancellationToken))).ConfigureAwait(false);

        // Delivered rows are deleted at once, unless they are to be kept for a while (then cleanup deletes them).
        var markDelivered = options.Value.DeliveredRetention > TimeSpan.Zero
            ? $"UPDATE {TransactionalOutboxTables.OutboxMessage} SET delivered_at = now() WHERE sequence_number = ANY($1)"
            : $"DELETE FROM {TransactionalOutboxTables.OutboxMessage} WHERE sequence_number = ANY($1)";
        await CommittingBatch.ExecuteAsync(dbContext,
            [new NpgsqlBatchCommand(markDelivered) { Parameters = { new NpgsqlParameter { Value = messages.Select(m => m.SequenceNumber).ToArray() } } }],
            cancellationToken).ConfigureAwait(false);

        LogDelivered(messages.Count);
        return messages.Count == batchSize ? BatchResult.Full : BatchResult.Partial;
    }

    /// <summary>
    /// Moves scheduled messages whose time has come into the outbox, in one statement: each due row is deleted from the
    /// scheduled table and inserted as an outbox row (with its message id, so a consumer's inbox still recognises it) in one
    /// transaction. Rows another instance is moving are skipped (<c>FOR UPDATE SKIP LOCKED</c>), so with several instances each
    /// scheduled message reaches the outbox once. A cancellation that comes after the move finds no row.
    /// </summary>
    internal async Task<int> PromoteDueAsync(CancellationToken cancellationToken)
    {
        // A message this process scheduled is due: promote now, not at the next interval.
        if (DateTime.UtcNow < _nextPromotion && !signal.TakeDue(DateTime.UtcNow))
            return 0;
        _nextPromotion = DateTime.UtcNow + PromotionInterval;

        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var batchSize = options.Value.DeliveryBatchSize;
        var promoted = await dbContext.Database.ExecuteSqlRawAsync($$"""
            WITH due AS (
                DELETE FROM {{TransactionalOutboxTables.OutboxScheduledMessage}}
                WHERE token_id IN (SELECT token_id FROM {{TransactionalOutboxTables.OutboxScheduledMessage}} WHERE deliver_at <= now()
                                   ORDER BY deliver_at LIMIT {0} FOR UPDATE SKIP LOCKED)
                RETURNING *)
            INSERT INTO {{TransactionalOutboxTables.OutboxMessage}} (message_id, ordering_key, conversation_id, correlation_id, initiator_id, request_id,
                source_address, destination_address, response_address, fault_address, sent_time, expiration_time, content_type,
                message_type, body, headers, properties, trace_parent)
            SELECT message_id, ordering_key, conversation_id, correlation_id, initiator_id, request_id, source_address,
                destination_address, response_address, fault_address, sent_time, expiration_time, content_type, message_type, body,
                headers, properties, trace_parent
            FROM due ORDER BY deliver_at
            """, [batchSize], cancellationToken).ConfigureAwait(false);
        if (promoted > 0)
        {
            LogPromoted(promoted);
            // More may be due: look again at the next round rather than after a whole interval.
            _nextPromotion = DateTime.MinValue;
        }

        return promoted;
    }

    /// <summary>Updates the backlog gauges: undelivered rows and the age of the oldest.</summary>
    async Task SampleBacklogAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var backlog = await dbContext.Database
            .SqlQueryRaw<OutboxBacklog>($"SELECT count(*)::bigint AS \"Count\", coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS \"OldestAgeSeconds\" FROM {TransactionalOutboxTables.OutboxMessage} WHERE delivered_at IS NULL")
            .SingleAsync(cancellationToken).ConfigureAwait(false);
        metrics.Record(backlog.Count, backlog.OldestAgeSeconds);
    }

    async Task SendInOrderAsync(IEnumerable<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            // The publisher's trace continues through this send (OutboxTracing).
            using var activity = OutboxTracing.StartDeliver(message);
            var endpoint = await bus.GetSendEndpoint(message.DestinationAddress!).ConfigureAwait(false);
            await endpoint.Send(new SerializedMessageBody(), new StoredMessageSendPipe(message), cancellationToken)
                .WaitAsync(ConfirmTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    enum BatchResult
    {
        Empty,
        Partial,
        Full,
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Outbox delivered {Count} messages")]
    partial void LogDelivered(int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Outbox moved {Count} due scheduled messages into the outbox")]
    partial void LogPromoted(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox delivery failed; retrying in {DelayMs} ms")]
    partial void LogDeliveryFailed(Exception exception, double delayMs);
}
