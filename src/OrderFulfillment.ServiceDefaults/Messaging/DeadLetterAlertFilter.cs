using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace OrderFulfillment.ServiceDefaults.Messaging;

/// <summary>
/// Runs in every endpoint's error pipe. Before the message moves to <c>&lt;queue&gt;_error</c> it records the exchange
/// the message came through (replay needs it to type a plain-JSON message again); after the move it raises the alert:
/// a Critical log line and the dead-letter counter, tagged by queue and reason.
/// </summary>
public sealed partial class DeadLetterAlertFilter(ILogger logger, Counter<long> deadLetters) : IFilter<ExceptionReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        var exchange = ExchangeTypedJsonSerializerFactory.ArrivalExchange(context);
        if (exchange is not null)
            context.ExceptionHeaders.Set(ExchangeTypedJsonSerializerFactory.OriginalExchangeHeader, exchange);

        await next.Send(context).ConfigureAwait(false);

        var queue = context.InputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "unknown";
        var exception = context.Exception.GetBaseException();
        var reason = exception.GetType().Name;
        var messageId = context.TransportHeaders.Get<string>("MessageId") ?? "none";
        var subject = DeadLetterSubject.Find(context.Body.GetBytes());

        deadLetters.Add(1, new KeyValuePair<string, object?>("queue", queue), new KeyValuePair<string, object?>("reason", reason));
        LogDeadLettered(queue + "_error", exchange ?? "unknown", messageId, reason, exception.Message, subject.OrderId ?? "-", subject.FulfillmentId ?? "-");
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("deadLetterAlert");

    [LoggerMessage(EventId = 9001, Level = LogLevel.Critical,
        Message = "Dead-lettered to {ErrorQueue}: {MessageType} {MessageId} ({Reason}: {ReasonMessage}) order {OrderId} fulfillment {FulfillmentId}")]
    partial void LogDeadLettered(string errorQueue, string messageType, string messageId, string reason, string reasonMessage, string orderId,
        string fulfillmentId);
}
