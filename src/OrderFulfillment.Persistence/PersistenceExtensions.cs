using MassTransit;
using MassTransit.Configuration;
using MassTransit.Middleware;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OrderFulfillment.Persistence.Inbox;
using OrderFulfillment.Persistence.Outbox;
using OrderFulfillment.Persistence.Sagas;

namespace OrderFulfillment.Persistence;

/// <summary>Registration of the PostgreSQL saga repository and the transactional outbox and inbox.</summary>
public static class PersistenceExtensions
{
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
    /// committed messages, and cleanup of delivered and expired rows. Endpoints opt in with <see cref="UseTransactionalOutbox{TDbContext}"/>.
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
        configurator.TryAddScoped<IOutboxContextFactory<TDbContext>, TransactionalOutboxContextFactory<TDbContext>>();
        configurator.AddHostedService<OutboxDeliveryService<TDbContext>>();
        configurator.AddHostedService<OutboxCleanupService<TDbContext>>();
        return configurator;
    }

    /// <summary>
    /// Runs every consumer and saga of the endpoint inside the transactional outbox: one transaction holds the inbox row,
    /// the changes and the outbox rows. Put retries before this call, so that each attempt gets a fresh scope and transaction.
    /// It is also the endpoint's message scheduler: a saga's <c>Schedule(...)</c> writes its message to
    /// <c>outbox_scheduled_message</c> in the same transaction, delivery sends it once it is due (from any instance, once),
    /// and <c>Unschedule(...)</c> deletes it in the transaction that cancels it. No scheduler add-on or broker plugin is needed.
    /// </summary>
    public static void UseTransactionalOutbox<TDbContext>(this IReceiveEndpointConfigurator configurator, IRegistrationContext context)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(configurator);
        var observer = new OutboxConsumePipeSpecificationObserver<TDbContext>(configurator, context);
        configurator.ConnectConsumerConfigurationObserver(observer);
        configurator.ConnectSagaConfigurationObserver(observer);
    }

    /// <summary>The meter with the outbox's backlog gauges (<c>orderfulfillment.outbox.backlog</c>, <c>orderfulfillment.outbox.oldest_age</c>).</summary>
    public const string MeterName = OutboxMetrics.MeterName;

    /// <summary>
    /// Orders what this consumer publishes from now on by <paramref name="key"/>: the outbox delivers messages with one key
    /// in the order they were committed. A saga's messages are keyed by its instance already; a consumer that changes
    /// several instances calls this before publishing for each.
    /// </summary>
    public static void OrderOutboxBy(this ConsumeContext context, Guid key)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TryGetPayload(out OutboxOrderingKey? orderingKey))
            orderingKey.SagaId = key;
    }

    /// <summary>
    /// Npgsql settings for a process that runs the same few statements (inbox, saga, outbox) for every message, unless
    /// the connection string sets them: a statement used 5 times is prepared on its connection (<c>Max Auto Prepare=32</c>),
    /// and a pooled connection is not reset (<c>DISCARD ALL</c>, one round trip) each time it goes back to the pool.
    /// </summary>
    public static string WithMessageProcessingDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!builder.ContainsKey("Max Auto Prepare"))
            builder.MaxAutoPrepare = 32;
        if (!builder.ContainsKey("No Reset On Close"))
            builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    /// <summary>
    /// Maps the inbox and outbox tables into the service's model (call from <c>OnModelCreating</c>): <c>inbox_message</c>,
    /// <c>outbox_message</c>, and <c>outbox_scheduled_message</c>, where scheduled sends wait until they are due.
    /// </summary>
    public static ModelBuilder AddTransactionalOutboxTables(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<InboxMessage>(inbox =>
        {
            inbox.ToTable(InboxMessage.TableName);
            inbox.HasKey(x => new { x.MessageId, x.ConsumerId });
            inbox.Property(x => x.MessageId).HasColumnName("message_id").HasMaxLength(256);
            inbox.Property(x => x.ConsumerId).HasColumnName("consumer_id");
            inbox.Property(x => x.ReceivedAt).HasColumnName("received_at").HasDefaultValueSql("now()");
            inbox.HasIndex(x => x.ReceivedAt);
        });
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable("outbox_message");
            outbox.HasKey(x => x.SequenceNumber);
            outbox.Property(x => x.SequenceNumber).HasColumnName("sequence_number").UseIdentityAlwaysColumn();
            outbox.Property(x => x.MessageId).HasColumnName("message_id");
            outbox.Property(x => x.OrderingKey).HasColumnName("ordering_key");
            outbox.Property(x => x.ConversationId).HasColumnName("conversation_id");
            outbox.Property(x => x.CorrelationId).HasColumnName("correlation_id");
            outbox.Property(x => x.InitiatorId).HasColumnName("initiator_id");
            outbox.Property(x => x.RequestId).HasColumnName("request_id");
            outbox.Property(x => x.SourceAddress).HasColumnName("source_address");
            outbox.Property(x => x.DestinationAddress).HasColumnName("destination_address");
            outbox.Property(x => x.ResponseAddress).HasColumnName("response_address");
            outbox.Property(x => x.FaultAddress).HasColumnName("fault_address");
            outbox.Property(x => x.SentTime).HasColumnName("sent_time");
            outbox.Property(x => x.ExpirationTime).HasColumnName("expiration_time");
            outbox.Property(x => x.ContentType).HasColumnName("content_type");
            outbox.Property(x => x.MessageType).HasColumnName("message_type");
            outbox.Property(x => x.Body).HasColumnName("body");
            outbox.Property(x => x.Headers).HasColumnName("headers");
            outbox.Property(x => x.Properties).HasColumnName("properties");
            outbox.Property(x => x.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
            outbox.Property(x => x.DeliveredAt).HasColumnName("delivered_at");
            outbox.HasIndex(x => x.SequenceNumber).HasDatabaseName("ix_outbox_message_undelivered").HasFilter("delivered_at IS NULL");
            outbox.HasIndex(x => x.DeliveredAt);
        });
        modelBuilder.Entity<ScheduledOutboxMessage>(scheduled =>
        {
            scheduled.ToTable(ScheduledOutboxMessage.TableName);
            scheduled.HasKey(x => x.TokenId);
            scheduled.Property(x => x.TokenId).HasColumnName("token_id").ValueGeneratedNever();
            scheduled.Property(x => x.DeliverAt).HasColumnName("deliver_at");
            scheduled.Property(x => x.MessageId).HasColumnName("message_id");
            scheduled.Property(x => x.OrderingKey).HasColumnName("ordering_key");
            scheduled.Property(x => x.ConversationId).HasColumnName("conversation_id");
            scheduled.Property(x => x.CorrelationId).HasColumnName("correlation_id");
            scheduled.Property(x => x.InitiatorId).HasColumnName("initiator_id");
            scheduled.Property(x => x.RequestId).HasColumnName("request_id");
            scheduled.Property(x => x.SourceAddress).HasColumnName("source_address");
            scheduled.Property(x => x.DestinationAddress).HasColumnName("destination_address");
            scheduled.Property(x => x.ResponseAddress).HasColumnName("response_address");
            scheduled.Property(x => x.FaultAddress).HasColumnName("fault_address");
            scheduled.Property(x => x.SentTime).HasColumnName("sent_time");
            scheduled.Property(x => x.ExpirationTime).HasColumnName("expiration_time");
            scheduled.Property(x => x.ContentType).HasColumnName("content_type");
            scheduled.Property(x => x.MessageType).HasColumnName("message_type");
            scheduled.Property(x => x.Body).HasColumnName("body");
            scheduled.Property(x => x.Headers).HasColumnName("headers");
            scheduled.Property(x => x.Properties).HasColumnName("properties");
            scheduled.Property(x => x.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
            scheduled.HasIndex(x => x.DeliverAt);
        });
        return modelBuilder;
    }
}
