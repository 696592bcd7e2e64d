using System.Text.Json;
using MassTransit;
using MassTransit.Middleware.Rescue;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Messaging;

/// <summary>
/// The dead-letter pipe of every endpoint: a message that no consumer took (an envelope of a type nobody here
/// consumes, say) is not moved to <c>&lt;queue&gt;_skipped</c>, where nobody looks and no alert is raised, but goes
/// through the error pipe like every other message that was not processed: to <c>&lt;queue&gt;_error</c>, with the
/// reason in its headers, and the alert.
/// </summary>
public sealed class NotConsumedFilter(IPipe<ExceptionReceiveContext> errorPipe) : IFilter<ReceiveContext>
{
    public Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        var queue = DeadLetterAlertFilter.QueueName(context.InputAddress);
        var reason = new MessageNotConsumedException(context.InputAddress,
            $"No consumer of queue {queue} takes {MessageTypes(context)}: the message was not processed");
        return errorPipe.Send(new RescueExceptionReceiveContext(context, reason));
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("notConsumedToError");

    /// <summary>What the message says it is: the envelope's <c>messageType</c>, or the type its exchange names.</summary>
    static string MessageTypes(ReceiveContext context)
    {
        var exchange = context.GetArrivalExchange();
        try
        {
            using var envelope = JsonDocument.Parse(context.Body.GetBytes());
            if (envelope.RootElement.ValueKind == JsonValueKind.Object
                && envelope.RootElement.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array)
                return "message type " + string.Join(", ", types.EnumerateArray().Select(t => t.ToString()));
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // not an envelope that can be read: the exchange is all there is to say
        }

        return exchange is not null && ContractExchanges.ByExchange.TryGetValue(exchange, out var type)
            ? $"{type.Name} (from exchange '{exchange}')"
            : $"a message from exchange '{exchange ?? "(none)"}'";
    }
}
