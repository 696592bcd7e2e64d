using System.Threading.Channels;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// Wakes outbox delivery as soon as a transaction with outbox messages commits, instead of waiting for a poll, and when
/// the earliest message this process scheduled falls due (a short timeout should not wait for the next poll).
/// </summary>
internal sealed class OutboxDeliverySignal
{
    // Due times of messages this process scheduled and delivery has not promoted yet: only short delays (a long one
    // loses nothing to the poll's interval), and a bounded number of them (beyond it, the poll finds them).
    const int MaxTrackedDueTimes = 100_000;
    static readonly TimeSpan TrackedDelay = TimeSpan.FromMinutes(1);
    readonly Lock _lock = new();
    readonly PriorityQueue<long, long> _dueTicks = new();

    // One pending wake-up is enough: delivery reads everything committed when it wakes.
    readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _signal.Writer.TryWrite(true);

    /// <summary>A committed transaction scheduled a message due at <paramref name="due"/>.</summary>
    public void ScheduledFor(DateTimeOffset due)
    {
        lock (_lock)
        {
            if (_dueTicks.Count < MaxTrackedDueTimes && due - DateTimeOffset.UtcNow < TrackedDelay)
                _dueTicks.Enqueue(due.UtcTicks, due.UtcTicks);
        }
    }

    /// <summary>Whether a message this process scheduled is due by now; the due times taken are forgotten (delivery promotes them).</summary>
    public bool TakeDue(DateTime utcNow)
    {
        var taken = false;
        lock (_lock)
        {
            while (_dueTicks.TryPeek(out _, out var ticks) && ticks <= utcNow.Ticks)
            {
                _dueTicks.Dequeue();
                taken = true;
            }
        }

        return taken;
    }

    /// <summary>How long delivery may sleep: <paramref name="poll"/>, or less when a scheduled message falls due sooner.</summary>
    public TimeSpan Until(TimeSpan poll, DateTime utcNow)
    {
        lock (_lock)
        {
            if (!_dueTicks.TryPeek(out _, out var ticks))
                return poll;
            var untilDue = TimeSpan.FromTicks(Math.Max(0, ticks - utcNow.Ticks));
            return untilDue < poll ? untilDue : poll;
        }
    }

    /// <summary>Waits for a commit's wake-up or <paramref name="timeout"/>; true when a commit woke it.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _signal.Reader.ReadAsync(timeoutSource.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // timed out: poll
            return false;
        }
    }
}
