using System.Diagnostics;
using System.Globalization;
using Npgsql;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.TestSupport;

/// <summary>
/// The end of a quiet period without a guessed duration: waits until a system has nothing left in flight, so that
/// anything it would still announce (a duplicate, a late step, a redelivered copy) has been announced.
/// </summary>
/// <remarks>
/// Work in flight always shows in one of two places: a message in a queue of the vhost (ready, or unacknowledged while
/// a consumer handles it: its outbox rows commit before its ack; the <c>_error</c> and <c>_skipped</c> queues, where
/// messages end, do not count), or an outbox row committed and not yet delivered (the
/// delivery round confirms the publish before it marks the row delivered). A scheduled message due within
/// <see cref="ScheduledSoon"/> (a hold window's end) counts too; deadlines hours away do not. The queues are read live
/// from the broker with <c>rabbitmqctl list_queues</c>: the management API's counts are statistics the broker refreshes
/// only every 5 s. One look is not atomic (a message may be consumed between the database's and the queues' reads), so
/// the system is idle when two looks in a row find nothing in flight and the same outbox and inbox counters: nothing was
/// consumed or written between them.
/// </remarks>
public static class SystemIdle
{
    /// <summary>How soon a scheduled message must be due to count as work in flight.</summary>
    public static readonly TimeSpan ScheduledSoon = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Waits until the queues of <paramref name="virtualHost"/> and the outboxes of <paramref name="databases"/> (connection
    /// strings) hold nothing in flight; fails after <paramref name="timeout"/> with what was still in flight.
    /// <paramref name="brokerNode"/> names the node rabbitmqctl asks (the local broker's by default).
    /// </summary>
    public static async Task WaitAsync(string virtualHost, IReadOnlyList<string> databases, TimeSpan timeout, string? brokerNode = null)
    {
        ArgumentNullException.ThrowIfNull(databases);
        var clock = Stopwatch.StartNew();
        Look? previous = null;
        while (true)
        {
            var look = await LookAsync(virtualHost, databases, brokerNode);
            if (look.InFlight == 0 && previous is { InFlight: 0 } && look.Counters == previous.Counters)
                return;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"the system still busy after {timeout.TotalSeconds:0} s: {look}");
            previous = look;
        }
    }

    /// <summary>
    /// Waits until a message published with <paramref name="messageId"/> has been consumed and committed: its inbox row is in
    /// one of <paramref name="databases"/>. The sentinel of a message whose handling announces nothing.
    /// </summary>
    public static async Task UntilConsumedAsync(IReadOnlyList<string> databases, string messageId, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(databases);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            foreach (var database in databases)
            {
                await using var connection = new NpgsqlConnection(database);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {TransactionalOutboxTables.InboxMessage} WHERE message_id = @id)", connection);
                command.Parameters.AddWithValue("id", messageId);
                if ((bool)(await command.ExecuteScalarAsync())!)
                    return;
            }

            if (clock.Elapsed > timeout)
                throw new TimeoutException($"message {messageId} not consumed within {timeout.TotalSeconds:0} s");
            await Task.Delay(20); // the interval of a poll of the inboxes, not a quiet period
        }
    }

    static async Task<Look> LookAsync(string virtualHost, IReadOnlyList<string> databases, string? brokerNode)
    {
        long undelivered = 0, scheduled = 0;
        var counters = new List<long>();
        foreach (var database in databases)
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"""
                SELECT (SELECT count(*) FROM {TransactionalOutboxTables.OutboxMessage} WHERE delivered_at IS NULL),
                       (SELECT count(*) FROM {TransactionalOutboxTables.OutboxScheduledMessage} WHERE deliver_at <= now() + @soon),
                       (SELECT coalesce(max(sequence_number), 0) FROM {TransactionalOutboxTables.OutboxMessage}),
                       (SELECT count(*) FROM {TransactionalOutboxTables.InboxMessage})
                """, connection);
            command.Parameters.AddWithValue("soon", ScheduledSoon);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            undelivered += reader.GetInt64(0);
            scheduled += reader.GetInt64(1);
            counters.Add(reader.GetInt64(2));
            counters.Add(reader.GetInt64(3));
        }

        var queued = await QueuedAsync(virtualHost, brokerNode);
        return new Look(queued, undelivered, scheduled, string.Join(",", counters));
    }

    /// <summary>Messages in the vhost's queues but the error and skipped ones, ready or unacknowledged, as each queue counts them now.</summary>
    static async Task<long> QueuedAsync(string virtualHost, string? brokerNode)
    {
        var node = brokerNode is null ? "" : $"-n {brokerNode} ";
        var output = await ExternalCommand.RunAsync("rabbitmqctl", $"{node}list_queues -p {virtualHost} name messages --no-table-headers --quiet");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t'))
            .Where(queue => !queue[0].EndsWith("_error", StringComparison.Ordinal) && !queue[0].EndsWith("_skipped", StringComparison.Ordinal))
            .Sum(queue => long.Parse(queue[1], CultureInfo.InvariantCulture));
    }

    sealed record Look(long Queued, long Undelivered, long ScheduledSoon, string Counters)
    {
        public long InFlight => Queued + Undelivered + ScheduledSoon;

        public override string ToString() =>
            $"{Queued} messages in queues, {Undelivered} outbox rows undelivered, {ScheduledSoon} scheduled messages due within {SystemIdle.ScheduledSoon.TotalSeconds:0} s";
    }
}
