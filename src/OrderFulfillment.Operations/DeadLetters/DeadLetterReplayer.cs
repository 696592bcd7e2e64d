using OrderFulfillment.Contracts;
using OrderFulfillment.Operations.Connections;
using RabbitMQ.Client;

namespace OrderFulfillment.Operations.DeadLetters;

/// <summary>One message a replay selected, and what became of it.</summary>
public sealed record ReplayResult(DeadLetter Letter, ReplayOutcome Outcome);

/// <summary>
/// Moves selected messages from an error queue back to their queue. Each one is taken with a manual ack, copied to the
/// source queue through the default exchange (publisher-confirmed), and acknowledged only after the confirm: a crash in
/// between leaves the original in the error queue (at worst the message is then in both, and the services' inbox and
/// state machines make the second delivery a duplicate). Messages not selected are held until the scan ends, then
/// returned with a nack and requeue, so each message is looked at once.
/// </summary>
public sealed class DeadLetterReplayer(Broker broker)
{
    const string FaultHeaderPrefix = "MT-Fault-";
    const string ReasonHeader = "MT-Reason";

    /// <param name="forecaster">Dry run: predict instead of moving; every message stays where it is.</param>
    public async Task<IReadOnlyList<ReplayResult>> ReplayAsync(string errorQueue, Func<DeadLetter, bool> select, ReplayForecaster? forecaster,
        CancellationToken ct)
    {
        var source = ErrorQueues.SourceOf(errorQueue);
        if (forecaster is null && await broker.QueueMessageCountAsync(errorQueue, ct) is > 0 && await broker.QueueMessageCountAsync(source, ct) is null)
            throw OperationException.Failed($"queue '{source}' (where {errorQueue} replays to) does not exist in vhost '{broker.Settings.VirtualHost}'");

        return await ScanAsync(errorQueue, select, async (channel, message, letter) =>
        {
            if (forecaster is not null)
                return (await forecaster.ForecastAsync(letter, ct), false);
            await Broker.PublishAsync(channel, "", source, CopyForReplay(message.BasicProperties, letter.ReplayCount + 1), letter.RawBody, ct);
            return (new ReplayOutcome(ReplayOutcome.Replayed, $"to {source} (replay {letter.ReplayCount + 1})"), true);
        }, ct);
    }

    /// <summary>Removes the selected messages from the error queue for good (acknowledges them); the rest stay.</summary>
    public Task<IReadOnlyList<ReplayResult>> DiscardAsync(string errorQueue, Func<DeadLetter, bool> select, CancellationToken ct) =>
        ScanAsync(errorQueue, select,
            (_, _, _) => Task.FromResult((new ReplayOutcome(ReplayOutcome.Discarded, $"removed from {errorQueue}"), true)), ct);

    /// <summary>
    /// Takes each message that was in the queue at the start, once; <paramref name="act"/> says what became of a selected
    /// one and whether to acknowledge it (remove it). Everything not acknowledged goes back, unchanged, at the end.
    /// </summary>
    async Task<IReadOnlyList<ReplayResult>> ScanAsync(string errorQueue, Func<DeadLetter, bool> select,
        Func<IChannel, BasicGetResult, DeadLetter, Task<(ReplayOutcome Outcome, bool Remove)>> act, CancellationToken ct)
    {
        var waiting = await broker.QueueMessageCountAsync(errorQueue, ct)
                      ?? throw OperationException.Failed($"no queue '{errorQueue}' in vhost '{broker.Settings.VirtualHost}'");
        if (waiting == 0)
            return [];

        var results = new List<ReplayResult>();
        var held = new List<ulong>();
        var channel = await broker.OpenChannelAsync(ct);
        try
        {
            // Only the messages there at the start: new dead letters arriving meanwhile wait for the next run.
            for (var i = 0u; i < waiting; i++)
            {
                var message = await channel.BasicGetAsync(errorQueue, autoAck: false, ct);
                if (message is null)
                    break;
                var letter = DeadLetter.FromAmqp(errorQueue, message.BasicProperties, message.Body.Span);
                if (!select(letter))
                {
                    held.Add(message.DeliveryTag);
                    continue;
                }

                var (outcome, remove) = await act(channel, message, letter);
                if (remove)
                    await channel.BasicAckAsync(message.DeliveryTag, multiple: false, ct);
                else
                    held.Add(message.DeliveryTag);
                results.Add(new ReplayResult(letter, outcome));
            }
        }
        finally
        {
            // Back to the error queue, unchanged. Should the channel be gone, the broker has requeued them already.
            if (channel.IsOpen)
            {
                foreach (var tag in held)
                    await channel.BasicNackAsync(tag, multiple: false, requeue: true, CancellationToken.None);
                await channel.CloseAsync(CancellationToken.None);
            }

            await channel.DisposeAsync();
        }

        return results;
    }

    /// <summary>
    /// The original's properties and headers, persistent, without MassTransit's fault headers (the reason of the last
    /// failure); <c>OF-Original-Exchange</c> stays, so the service can type a plain-JSON message that now arrives
    /// through the default exchange.
    /// </summary>
    public static BasicProperties CopyForReplay(IReadOnlyBasicProperties original, int replayCount)
    {
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in original.Headers ?? new Dictionary<string, object?>())
        {
            if (!name.StartsWith(FaultHeaderPrefix, StringComparison.Ordinal) && name != ReasonHeader)
                headers[name] = value;
        }

        headers[ContractHeaders.ReplayCount] = replayCount;
        return new BasicProperties(original)
        {
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
    }
}
