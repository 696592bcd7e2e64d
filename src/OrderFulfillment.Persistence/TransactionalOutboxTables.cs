namespace OrderFulfillment.Persistence;

/// <summary>
/// The names of the tables the inbox and outbox keep in a service's database
/// (mapped by <see cref="TransactionalOutboxTableMapping.AddTransactionalOutboxTables"/>), for anything that names them in SQL.
/// </summary>
public static class TransactionalOutboxTables
{
    /// <summary>The inbox: a row per consumed message id and consumer, kept for the inbox window.</summary>
    public const string InboxMessage = "inbox_message";

    /// <summary>The outbox: messages published or sent while consuming, delivered after the commit.</summary>
    public const string OutboxMessage = "outbox_message";

    /// <summary>Scheduled sends, waiting until they are due; then they move to <see cref="OutboxMessage"/>.</summary>
    public const string OutboxScheduledMessage = "outbox_scheduled_message";
}
