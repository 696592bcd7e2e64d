using System.Threading.Channels;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>Wakes outbox delivery as soon as a transaction with outbox messages commits, instead of waiting for a poll.</summary>
internal sealed class OutboxDeliverySignal
{
    // One pending wake-up is enough: delivery reads everything committed when it wakes.
    readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _signal.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _signal.Reader.ReadAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // timed out: poll
        }
    }
}
