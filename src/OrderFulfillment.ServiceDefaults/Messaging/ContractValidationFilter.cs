using MassTransit;

namespace OrderFulfillment.ServiceDefaults.Messaging;

/// <summary>Rejects a message that breaks the contract's field rules before any consumer or saga sees it.</summary>
public sealed class ContractValidationFilter<T> : IFilter<ConsumeContext<T>>
    where T : class
{
    public Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        var errors = ContractValidator.Validate(context.Message);
        if (errors.Count > 0)
            throw new InvalidMessageException(typeof(T).Name, errors);
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("contractValidation");
}
