using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrderFulfillment.Messaging;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.Hosting;

/// <summary>Each message a service consumes is one transaction on its database: the host composes the outbox into its endpoints.</summary>
public static class ServiceOutbox
{
    /// <summary>
    /// The transactional outbox and inbox on <typeparamref name="TDbContext"/> (options from the <c>Outbox</c> section), as
    /// every endpoint's <see cref="IMessageTransaction"/>: a message is held while the database does not answer
    /// (<see cref="DatabaseOutageFilter{TDbContext}"/>, outside retry), and each attempt runs its consumer or saga in the outbox.
    /// </summary>
    public static IBusRegistrationConfigurator AddServiceOutbox<TDbContext>(this IBusRegistrationConfigurator bus, IConfiguration configuration)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(configuration);
        bus.AddTransactionalOutbox<TDbContext>(outbox => configuration.GetSection("Outbox").Bind(outbox));
        bus.AddSingleton<IMessageTransaction, TransactionalOutboxTransaction<TDbContext>>();
        return bus;
    }

    sealed class TransactionalOutboxTransaction<TDbContext> : IMessageTransaction
        where TDbContext : DbContext
    {
        public void Configure(IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
        {
            endpoint.UseFilter(new DatabaseOutageFilter<TDbContext>(context.GetRequiredService<DatabaseAvailability<TDbContext>>()));
            endpoint.UseTransactionalOutbox<TDbContext>(context);
        }
    }
}
