using OrderFulfillment.Contracts;
using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace OrderFulfillment.Messaging;

/// <summary>
/// Runs in every endpoint's error pipe. Before the message moves to <c>&lt;queue&gt;_error</c> it records the exchange
/// the message came through (replay needs it to type a plain-JSON message again); after the move it raises the alert:
/// a Critical log line and the dead-letter counter, tagged by queue and reason.
/// </summary>
/// <remarks>
/// Once the move has succeeded nothing here may throw: an exception would make MassTransit return the message to its
/// queue, which already has its copy in <c>_error</c>, and every redelivery would add another copy. The move itself
/// may fail (the broker went away); then the message is not in <c>_error</c>, and returning it is what keeps it.
/// </remarks>
public sealed partial class DeadLetterAlertFilter(ILogger logger, Counter<long> deadLetters) : IFilter<ExceptionReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var exchange = context.GetArrivalExchange();
        if (exchange is not null)
            context.ExceptionHeaders.Set(ContractHeaders.OriginalExchange, exchange);

        await next.Send(context).ConfigureAwait(false);

        var queue = QueueName(context.InputAddress);
        try
        {
            // Marks the delivery as handled by the error pipe: without it a message that failed before any consumer
            // ran (deserialization, validation) also counts as "not consumed" and is copied to _skipped.
            if (!context.IsFaulted)
                await context.NotifyFaulted(context.Exception).ConfigureAwait(false);

            var exception = context.Exception.GetBaseException();
            var reason = exception.GetType().Name;
            var messageId = context.TransportHeaders.Get<string>("MessageId") ?? "none";
            var subject = DeadLetterSubject.Find(context.Body.GetBytes());
            deadLetters.Add(1, new KeyValuePair<string, object?>("queue", queue), new KeyValuePair<string, object?>("reason", reason));
            LogDeadLettered(queue + "_error", exchange ?? "unknown", messageId, reason, exception.Message, subject.OrderId ?? "-",
                subject.FulfillmentId ?? "-");
        }
#pragma warning disable CA1031 // the message is in _error already: whatever fails here must not return it to its queue
        catch (Exception alertFailure)
#pragma warning restore CA1031
        {
            deadLetters.Add(1, new KeyValuePair<string, object?>("queue", queue), new KeyValuePair<string, object?>("reason", "unknown"));
            LogDeadLetteredWithoutDetails(alertFailure, queue + "_error", exchange ?? "unknown");
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("deadLetterAlert");

    internal static string QueueName(Uri inputAddress) =>
        inputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "unknown";

    [LoggerMessage(EventId = 9001, Level = LogLevel.Critical,
        Message = "Dead-lettered to {ErrorQueue}: {MessageType} {MessageId} ({Reason}: {ReasonMessage}) order {OrderId} fulfillment {FulfillmentId}")]
    partial void LogDeadLettered(string errorQueue, string messageType, string messageId, string reason, string reasonMessage, string orderId,
        string fulfillmentId);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Critical,
        Message = "Dead-lettered to {ErrorQueue}: {MessageType} (its details could not be read for this alert)")]
    partial void LogDeadLetteredWithoutDetails(Exception exception, string errorQueue, string messageType);
}
