namespace OrderFulfillment.Persistence;

/// <summary>Settings of the transactional outbox and inbox.</summary>
public sealed class TransactionalOutboxOptions
{
    /// <summary>How many outbox messages one delivery round publishes (with publisher confirms) before marking them delivered.</summary>
    public int DeliveryBatchSize { get; set; } = 200;

    /// <summary>
    /// How long delivery, woken by a commit, waits for more commits before it reads the outbox: at a moderate rate the
    /// messages of several transactions then go in one round (one transaction, three round trips) instead of one round
    /// each. Adds at most this much to a message's delivery; zero delivers at once.
    /// </summary>
    public TimeSpan DeliveryCoalescing { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// How often delivery looks for messages when nothing signalled it: messages left by a crashed process or committed
    /// by another instance. Commits in this process wake delivery at once.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long delivered outbox rows are kept (with <c>delivered_at</c> set) before cleanup removes them. Zero, the
    /// default, deletes each row as it is delivered: one statement per batch instead of an update and a later delete.
    /// </summary>
    public TimeSpan DeliveredRetention { get; set; } = TimeSpan.Zero;

    /// <summary>How long an inbox row (a consumed message id) is kept: the window in which a redelivery is recognised.</summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often cleanup runs.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromSeconds(30);
}
