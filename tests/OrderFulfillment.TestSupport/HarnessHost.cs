using MassTransit;
using MassTransit.Serialization;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrderFulfillment.Hosting;
using OrderFulfillment.Messaging;
using OrderFulfillment.Persistence;
using Xunit;

namespace OrderFulfillment.TestSupport;

/// <summary>
/// A service's sagas on MassTransit's test harness, wired as the service wires them (same registration, same definitions
/// of their endpoints, same contract topology) on the in-memory transport. Either on EF Core's in-memory database, with
/// the harness's own message transaction (<see cref="HarnessTransaction"/>) in place of the service's outbox
/// (<see cref="StartAsync(Action{IServiceCollection}, Action{IBusRegistrationConfigurator}, Action{IInMemoryBusFactoryConfigurator}?)"/>),
/// or on PostgreSQL through the service's own outbox and inbox (<see cref="StartOnPostgresAsync{TDbContext}"/>).
/// </summary>
public sealed class HarnessHost : IAsyncDisposable
{
    /// <summary>
    /// Passed to the harness's message lists to read what is there now: without it a synchronous Select waits for more
    /// messages until the timeout, holding the list's lock, and consumption stalls meanwhile.
    /// </summary>
    public static readonly CancellationToken Now = new(canceled: true);

    readonly ServiceProvider _provider;
    readonly HarnessOutbox? _outbox;

    HarnessHost(ServiceProvider provider, HarnessOutbox? outbox)
    {
        _provider = provider;
        _outbox = outbox;
        Harness = provider.GetRequiredService<ITestHarness>();
    }

    public ITestHarness Harness { get; }

    public IServiceProvider Services => _provider;

    /// <summary>
    /// The sagas on the database that <paramref name="services"/> registers (<see cref="AddInMemoryDatabase{TDbContext}"/>),
    /// with the harness's own message transaction: MassTransit's in-memory outbox and delayed scheduler.
    /// </summary>
    public static Task<HarnessHost> StartAsync(
        Action<IServiceCollection> services,
        Action<IBusRegistrationConfigurator> bus,
        Action<IInMemoryBusFactoryConfigurator>? busPipeline = null) =>
        StartAsync(
            collection =>
            {
                collection.AddSingleton<IMessageTransaction, HarnessTransaction>();
                services(collection);
            },
            bus,
            (context, cfg) =>
            {
                busPipeline?.Invoke(cfg);
                cfg.ConnectEndpointConfigurationObserver(new OutboxInsideRetry(context));
            },
            outbox: null);

    /// <summary>
    /// The sagas stored as the service stores them: <typeparamref name="TDbContext"/> on PostgreSQL (<paramref name="database"/>,
    /// emptied first), each message one transaction of the service's outbox and inbox (<see cref="ServiceOutbox"/>), and the
    /// outbox's delivery publishing what committed. Only the transport is the harness's.
    /// </summary>
    public static async Task<HarnessHost> StartOnPostgresAsync<TDbContext>(
        PostgresHarnessDatabase<TDbContext> database,
        Action<IServiceCollection> services,
        Action<IBusRegistrationConfigurator> bus)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(database);
        await database.EmptyAsync();
        return await StartAsync(
            collection =>
            {
                // As ServiceHosting.AddServiceDatabase registers it.
                var connectionString = NpgsqlTuning.WithMessageProcessingDefaults(database.ConnectionString);
                collection.AddDbContextPool<TDbContext>(options => options.UseNpgsql(connectionString));
                services(collection);
            },
            x =>
            {
                bus(x);
                x.AddServiceOutbox<TDbContext>(new ConfigurationBuilder().Build());
            },
            (_, _) => { },
            new HarnessOutbox(database.ConnectionString));
    }

    static async Task<HarnessHost> StartAsync(
        Action<IServiceCollection> services,
        Action<IBusRegistrationConfigurator> bus,
        Action<IBusRegistrationContext, IInMemoryBusFactoryConfigurator> busPipeline,
        HarnessOutbox? outbox)
    {
        var collection = new ServiceCollection();
        collection.AddMetrics();
        collection.AddLogging(); // ILogger<T> for the outbox's delivery and cleanup
        collection.AddSingleton<OrderFulfillmentMetrics>();
        services(collection);
        // The harness logs every message at debug level by default; schedules run hundreds of thousands of messages.
        collection.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        collection.AddMassTransitTestHarness(x =>
        {
            bus(x);
            x.UsingInMemory((context, cfg) =>
            {
                cfg.ConfigureContractMessages();
                busPipeline(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        var host = new HarnessHost(collection.BuildServiceProvider(true), outbox);
        // Waiting on the harness ends at its timeout, not at the first quiet moment between two steps of a test.
        host.Harness.TestInactivityTimeout = host.Harness.TestTimeout;
        await host.Harness.Start();
        return host;
    }

    /// <summary>
    /// Registers the service's DbContext on a fresh EF Core in-memory database, or on <paramref name="shared"/> (one
    /// database for several hosts, as two instances of a service share one). On a fresh database a saga's row version
    /// is not enforced: the in-memory provider never changes it, so two concurrent saves of one saga both succeed and
    /// the later one wins (and a failed save of several rows may have written some). A test that delivers one saga's
    /// messages concurrently passes an <see cref="InMemoryDatabase"/>, which checks and raises the row versions of a
    /// save as a whole, as PostgreSQL's <c>xmin</c> and transaction do; its contexts come from a pool, as the services
    /// register theirs (measured: about a quarter less CPU per schedule than a new context for each).
    /// </summary>
    public static void AddInMemoryDatabase<TDbContext>(IServiceCollection services, InMemoryDatabase? shared = null)
        where TDbContext : DbContext
    {
        if (shared is null)
        {
            var name = Guid.NewGuid().ToString();
            services.AddDbContext<TDbContext>(options => options
                .UseInMemoryDatabase(name)
                .ConfigureWarnings(w => w.Ignore(InMemoryEventId.TransactionIgnoredWarning)));
            return;
        }

        services.AddDbContextPool<TDbContext>(options => options
            .UseInMemoryDatabase(shared.Name, shared.Root)
            .AddInterceptors(shared.RowVersions)
            .ConfigureWarnings(w => w.Ignore(InMemoryEventId.TransactionIgnoredWarning)));
    }

    /// <summary>Publishes a message and waits until it has been consumed (or has faulted); returns what the harness saw.</summary>
    public async Task<IReceivedMessage<T>> DeliverAsync<T>(T message)
        where T : class
    {
        var id = NewId.NextGuid();
        await Harness.Bus.Publish(message, c => c.MessageId = id);
        Assert.True(await Harness.Consumed.Any<T>(m => m.Context.MessageId == id), $"{typeof(T).Name} should be consumed");
        var received = Harness.Consumed.Select<T>(Now).First(m => m.Context.MessageId == id);
        if (received.Exception is null)
            await WaitUntilDeliveredAsync(id);
        return received;
    }

    /// <summary>
    /// On PostgreSQL, waits until the transaction of <paramref name="messageId"/> (when given) has committed and the outbox
    /// has delivered all that committed so far; on the in-memory database what a consumer publishes is sent as it completes.
    /// </summary>
    public Task WaitUntilDeliveredAsync(Guid? messageId = null) =>
        _outbox is null ? Task.CompletedTask : WaitUntilAsync(() => _outbox.DeliveredAsync(messageId), "the outbox delivered what committed");

    /// <summary>
    /// How many scheduled messages (deadlines, ends of hold windows) wait in the outbox on PostgreSQL; null on the in-memory
    /// database, whose scheduler (MassTransit's delayed one) cannot be read and never takes a message back.
    /// </summary>
    public async Task<long?> ScheduledCountAsync() => _outbox is null ? null : await _outbox.ScheduledCountAsync();

    /// <summary>The messages of one type published so far, in publish order (on PostgreSQL, as the outbox delivered them).</summary>
    public List<T> Published<T>()
        where T : class =>
        _outbox is null
            ? Harness.Published.Select<T>(Now).Select(m => m.Context.Message).ToList()
            : Harness.Sent.Select<SerializedMessageBody>(Now).Select(m => HarnessOutbox.Read<T>(m.Context)).OfType<T>().ToList();

    /// <summary>Reads from the service's database in a scope of its own.</summary>
    public async Task<TResult> QueryAsync<TDbContext, TResult>(Func<TDbContext, Task<TResult>> query)
        where TDbContext : DbContext
    {
        await using var scope = _provider.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<TDbContext>());
    }

    /// <summary>Waits until the condition holds, or fails the test after the harness timeout.</summary>
    public Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    /// <summary>Waits until the condition holds, or fails the test after the harness timeout.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Harness.TestTimeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(10); // the interval of a poll for a state that has no event to await, not a quiet period
        }
    }

    /// <summary>
    /// The harness's message transaction, without a database: a saga's <c>Schedule</c> goes through MassTransit's in-memory
    /// delayed scheduler instead of the outbox's table. The outbox's promise is <see cref="OutboxInsideRetry"/>'s.
    /// </summary>
    sealed class HarnessTransaction : IMessageTransaction
    {
        public void Configure(IReceiveEndpointConfigurator endpoint, IRegistrationContext context) =>
            endpoint.UseFilter(new MassTransit.Middleware.DelayedMessageSchedulerFilter());
    }

    /// <summary>
    /// The transactional outbox's promise: what one attempt publishes is sent only if it completes. MassTransit's in-memory
    /// outbox, added once the endpoint's definition has configured it, so inside its retry: a save that fails its row
    /// version, or a cancellation rejected after it applied held steps, publishes nothing. (Added earlier, with the
    /// message transaction, it would wrap the retries of a consumer and send what a failed attempt published.)
    /// </summary>
    sealed class OutboxInsideRetry(IRegistrationContext context) : IEndpointConfigurationObserver
    {
        public void EndpointConfigured<T>(T configurator)
            where T : IReceiveEndpointConfigurator => configurator.UseInMemoryOutbox(context);
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
    }
}
