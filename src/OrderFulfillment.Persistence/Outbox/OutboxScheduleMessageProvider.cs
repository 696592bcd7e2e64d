using MassTransit;
using MassTransit.Scheduling;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>What the outbox consume context offers its scheduler: cancelling a scheduled message in the current transaction.</summary>
internal interface IScheduledOutbox
{
    Task CancelScheduledAsync(Guid tokenId, CancellationToken cancellationToken);
}

/// <summary>
/// MassTransit's scheduler provider for the transactional outbox: a scheduled send goes through the consume context's
/// outbox with its delivery time and a fresh token (so it is written as a scheduled row in the consumer's transaction),
/// and a cancellation deletes that row in the same transaction. A saga's <c>Schedule</c> and <c>Unschedule</c> use it
/// through the <see cref="MessageSchedulerContext"/> payload.
/// </summary>
internal sealed class OutboxScheduleMessageProvider(ConsumeContext outboxContext, IScheduledOutbox outbox) : IScheduleMessageProvider
{
    public async Task<ScheduledMessage<T>> ScheduleSend<T>(Uri destinationAddress, DateTime scheduledTime, T message, IPipe<SendContext<T>> pipe,
        CancellationToken cancellationToken)
        where T : class
    {
        var tokenId = NewId.NextGuid();
        // Sets the send's Delay and the scheduling token header; the outbox stores a send with a Delay as a scheduled row.
        var schedulePipe = new ScheduleSendPipe<T>(pipe, scheduledTime) { ScheduledMessageId = tokenId };
        var endpoint = await outboxContext.GetSendEndpoint(destinationAddress).ConfigureAwait(false);
        await endpoint.Send(message, schedulePipe, cancellationToken).ConfigureAwait(false);
        return new ScheduledMessageHandle<T>(tokenId, scheduledTime, destinationAddress, message);
    }

    public Task CancelScheduledSend(Guid tokenId, CancellationToken cancellationToken) => outbox.CancelScheduledAsync(tokenId, cancellationToken);

    public Task CancelScheduledSend(Uri destinationAddress, Guid tokenId, CancellationToken cancellationToken) =>
        outbox.CancelScheduledAsync(tokenId, cancellationToken);
}
