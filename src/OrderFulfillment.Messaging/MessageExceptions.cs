namespace OrderFulfillment.Messaging;

/// <summary>
/// A message that no retry can mend: it goes to the endpoint's error queue at once, with this exception's message
/// as the reason. Every other exception is retried first (see <see cref="MessageRetryPolicy"/>).
/// </summary>
public abstract class PermanentMessageException(string message) : Exception(message);

/// <summary>A message with a missing or invalid field.</summary>
public sealed class InvalidMessageException(string messageType, IReadOnlyList<string> errors)
    : PermanentMessageException($"Invalid {messageType}: {string.Join("; ", errors)}")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
