using MassTransit;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Messaging;

/// <summary>
/// Rejects a message that breaks the contract's field rules before any consumer or saga sees it, and a message whose
/// type is not the one its exchange carries (an <c>OrderConfirmed</c> envelope published to <c>delivery.confirmed</c>):
/// the contract names a message's type by its exchange, so such a message is refused rather than taken for what its
/// envelope claims.
/// </summary>
public sealed class ContractValidationFilter<T> : IFilter<ConsumeContext<T>>
    where T : class
{
    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var errors = new List<string>();
        var exchange = context.ReceiveContext.GetArrivalExchange();
        // Only a contract exchange names a type; a message sent to the queue itself (a replay) is typed by its envelope.
        if (exchange is not null && ContractExchanges.ByExchange.TryGetValue(exchange, out var exchangeType) && exchangeType != typeof(T))
            errors.Add($"the message says it is {typeof(T).Name} but arrived through exchange '{exchange}', which carries {exchangeType.Name}");
        errors.AddRange(ContractValidator.Validate(context.Message));
        if (errors.Count > 0)
            throw new InvalidMessageException(typeof(T).Name, errors);
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("contractValidation");
}
