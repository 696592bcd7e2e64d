using MassTransit;
using MassTransit.Configuration;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrderFulfillment.Persistence.Outbox;
using OrderFulfillment.Persistence.Sagas;

namespace OrderFulfillment.Persistence;

/// <summary>Registration of the PostgreSQL saga repository and the transactional outbox and inbox.</summary>
public static class PersistenceRegistration
{
    /// <summary>The meter with the outbox's backlog gauges (<c>orderfulfillment.outbox.backlog</c>, <c>orderfulfillment.outbox.oldest_age</c>).</summary>
    public const string MeterName = OutboxMetrics.MeterName;

    /// <summary>The activity source of outbox delivery's <c>outbox deliver</c> spans, which continue each message's trace.</summary>
    public const string ActivitySourceName = OutboxTracing.SourceName;

    /// <summary>Stores the saga's instances in <typeparamref name="TDbContext"/> with optimistic concurrency.</summary>
    public static ISagaRegistrationConfigurator<TSaga> PostgresRepository<TSaga, TDbContext>(this ISagaRegistrationConfigurator<TSaga> configurator)
        where TSaga : class, IVersionedSaga
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(configurator);
        configurator.Repository(repository =>
        {
            repository.RegisterLoadSagaRepository<TSaga, SagaRepositoryContextFactory<TDbContext, TSaga>>();
            repository.RegisterQuerySagaRepository<TSaga, SagaRepositoryContextFactory<TDbContext, TSaga>>();
            repository.RegisterSagaRepository<TSaga, DbContext, SagaConsumeContextFactory<DbContext, TSaga>,
                SagaRepositoryContextFactory<TDbContext, TSaga>>();
        });
        return configurator;
    }

    /// <summary>
    /// Adds the transactional outbox and inbox on <typeparamref name="TDbContext"/>: the delivery service that publishes
    /// committed messages, cleanup of delivered and expired rows, and <see cref="DatabaseAvailability{TDbContext}"/>, which pauses
    /// both (and the endpoints' consumption) while the database does not answer. Endpoints opt in with
    /// <see cref="TransactionalOutboxEndpoint.UseTransactionalOutbox{TDbContext}"/>.
    /// </summary>
    public static IBusRegistrationConfigurator AddTransactionalOutbox<TDbContext>(this IBusRegistrationConfigurator configurator,
        Action<TransactionalOutboxOptions>? configure = null)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(configurator);
        var options = configurator.AddOptions<TransactionalOutboxOptions>();
        if (configure is not null)
            options.Configure(configure);
        configurator.TryAddSingleton<OutboxDeliverySignal>();
        configurator.TryAddSingleton<OutboxMetrics>();
        configurator.TryAddSingleton<DatabaseAvailability<TDbContext>>();
        configurator.TryAddScoped<IOutboxContextFactory<TDbContext>, TransactionalOutboxContextFactory<TDbContext>>();
        configurator.AddHostedService<OutboxDeliveryService<TDbContext>>();
        configurator.AddHostedService<OutboxCleanupService<TDbContext>>();
        return configurator;
    }
}
