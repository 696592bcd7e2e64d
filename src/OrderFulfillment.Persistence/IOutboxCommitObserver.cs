namespace OrderFulfillment.Persistence;

/// <summary>
/// Told when a consumed message's transaction has committed outbox messages, before they are delivered. Register
/// implementations in the container (<c>services.AddSingleton&lt;IOutboxCommitObserver, T&gt;()</c>); each is called in
/// the consuming flow, in registration order. A process that dies here loses nothing: delivery finds the committed rows.
/// An exception fails the receive after the commit; its redelivery is recognised by the inbox.
/// </summary>
public interface IOutboxCommitObserver
{
    /// <summary>The transaction committed with at least one outbox message; delivery has not been woken yet.</summary>
    void OnCommitted();
}
