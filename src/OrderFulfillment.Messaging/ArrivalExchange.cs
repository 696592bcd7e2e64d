using MassTransit;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Messaging;

/// <summary>
/// The exchange a message arrived through, or where it first arrived if it was replayed. Read from the transport once per
/// delivery and kept on the receive context as a payload, where the plain-JSON deserializer (which types a message by it),
/// contract validation and the error pipe find it.
/// </summary>
public static class ArrivalExchange
{
    /// <summary>The arrival exchange of this delivery; null when it came through none (sent to the queue itself).</summary>
    public static string? GetArrivalExchange(this ReceiveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetOrAddPayload(() => new Payload(Read(context))).Exchange;
    }

    static string? Read(ReceiveContext context)
    {
        // Moved back from the error queue: the error pipe kept where it first arrived.
        if (context.TransportHeaders.TryGetHeader(ContractHeaders.OriginalExchange, out var original) && original is string { Length: > 0 } name)
            return name;
        // Dead-lettered by the broker itself (a quorum queue's delivery-limit) and replayed: where it was first published.
        if (context.TransportHeaders.TryGetHeader("x-first-death-exchange", out var dead) && dead is string { Length: > 0 } deadExchange)
            return deadExchange;
        if (context.TryGetPayload(out RabbitMqBasicConsumeContext? basic) && !string.IsNullOrEmpty(basic.Exchange))
            return basic.Exchange;
        return null;
    }

    sealed record Payload(string? Exchange);
}
