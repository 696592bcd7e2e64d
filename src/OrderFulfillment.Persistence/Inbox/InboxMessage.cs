namespace OrderFulfillment.Persistence.Inbox;

/// <summary>A message id that one consumer (endpoint and consumer type) has consumed; kept for the inbox window.</summary>
internal sealed class InboxMessage
{
    public required string MessageId { get; init; }
    public required Guid ConsumerId { get; init; }
    public DateTimeOffset ReceivedAt { get; init; }
}
