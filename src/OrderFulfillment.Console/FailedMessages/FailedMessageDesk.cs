using OrderFulfillment.Operations.Connections;
using OrderFulfillment.Operations.DeadLetters;

namespace OrderFulfillment.Console.FailedMessages;

/// <summary>Messages that failed, grouped by why: the exception and the message type.</summary>
public sealed record FailureGroup(string ExceptionType, string MessageType, IReadOnlyList<DeadLetter> Letters)
{
    public string ShortExceptionType => Letters[0].ShortExceptionType;
    public IEnumerable<string> Queues => Letters.Select(l => l.Queue).Distinct().Order(StringComparer.Ordinal);
    public DateTimeOffset? FirstSeen => Letters.Min(l => l.FailedAt);
    public DateTimeOffset? LastSeen => Letters.Max(l => l.FailedAt);
    public string? SampleReason => Letters.Select(l => l.FaultMessage).FirstOrDefault(m => m is not null);
}

/// <summary>One message, named by its error queue and its key (<see cref="DeadLetter.Key"/>).</summary>
public sealed record Selected(string Queue, string Key)
{
    public string Value => $"{Queue}|{Key}";

    public static Selected? Parse(string value) =>
        value.IndexOf('|', StringComparison.Ordinal) is var bar and > 0 ? new Selected(value[..bar], value[(bar + 1)..]) : null;
}

/// <summary>
/// The failed-messages page's work: reads every <c>_error</c> and <c>_skipped</c> queue (peeking: nothing moves), and
/// forecasts, retries or discards a selection with the library <c>ofctl errors replay</c> uses.
/// </summary>
public sealed class FailedMessageDesk(ManagementApi management, ServiceApi services, ConnectionSettings settings)
{
    /// <summary>Messages inspected per queue, as <c>ofctl errors list --limit</c>.</summary>
    public const int PeekLimit = 1000;

    public async Task<IReadOnlyList<DeadLetter>> ReadAllAsync(CancellationToken ct)
    {
        var letters = new List<DeadLetter>();
        foreach (var queue in await DeadLetterQueuesAsync(ct))
            letters.AddRange((await management.PeekAsync(queue, PeekLimit, ct)).Select(m => DeadLetter.FromManagement(queue, m)));
        return letters;
    }

    public async Task<IReadOnlyList<FailureGroup>> GroupsAsync(CancellationToken ct) =>
        [.. (await ReadAllAsync(ct))
            .GroupBy(l => (Exception: l.ExceptionType ?? "", Type: l.MessageType ?? ""))
            .Select(g => new FailureGroup(g.Key.Exception, g.Key.Type, [.. g.OrderBy(l => l.FailedAt)]))
            .OrderByDescending(g => g.LastSeen)];

    public async Task<FailureGroup?> GroupAsync(string exceptionType, string messageType, CancellationToken ct) =>
        (await GroupsAsync(ct)).FirstOrDefault(g => g.ExceptionType == exceptionType && g.MessageType == messageType);

    public async Task<DeadLetter?> FindAsync(Selected selected, CancellationToken ct)
    {
        if (!ErrorQueues.IsDeadLetterQueue(selected.Queue))
            return null;
        var messages = await management.PeekAsync(selected.Queue, PeekLimit, ct);
        return messages.Select(m => DeadLetter.FromManagement(selected.Queue, m)).FirstOrDefault(l => l.Key == selected.Key);
    }

    /// <summary>What a retry would do now, for each selected message; nothing moves.</summary>
    public Task<IReadOnlyList<ReplayResult>> DryRunAsync(IReadOnlyCollection<Selected> selection, CancellationToken ct) =>
        RunAsync(selection, (replayer, queue, select) => replayer.ReplayAsync(queue, select, new ReplayForecaster(services), ct), ct);

    public Task<IReadOnlyList<ReplayResult>> RetryAsync(IReadOnlyCollection<Selected> selection, CancellationToken ct) =>
        RunAsync(selection, (replayer, queue, select) => replayer.ReplayAsync(queue, select, null, ct), ct);

    public Task<IReadOnlyList<ReplayResult>> DiscardAsync(IReadOnlyCollection<Selected> selection, CancellationToken ct) =>
        RunAsync(selection, (replayer, queue, select) => replayer.DiscardAsync(queue, select, ct), ct);

    async Task<IReadOnlyList<ReplayResult>> RunAsync(IReadOnlyCollection<Selected> selection,
        Func<DeadLetterReplayer, string, Func<DeadLetter, bool>, Task<IReadOnlyList<ReplayResult>>> run, CancellationToken ct)
    {
        var results = new List<ReplayResult>();
        if (selection.Count == 0)
            return results;
        await using var broker = await Broker.ConnectAsync(settings, ct);
        var replayer = new DeadLetterReplayer(broker);
        foreach (var queue in selection.GroupBy(s => s.Queue).Where(q => ErrorQueues.IsDeadLetterQueue(q.Key)))
        {
            var keys = queue.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
            results.AddRange(await run(replayer, queue.Key, letter => keys.Contains(letter.Key)));
        }

        return results;
    }

    async Task<IReadOnlyList<string>> DeadLetterQueuesAsync(CancellationToken ct) =>
        [.. (await management.ListQueueDepthsAsync(ct)).Where(q => ErrorQueues.IsDeadLetterQueue(q.Name)).Select(q => q.Name)];
}
