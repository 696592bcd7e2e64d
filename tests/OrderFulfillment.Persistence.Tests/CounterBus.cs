using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.Persistence.Tests;

/// <summary>
/// A real bus on RabbitMQ (a fresh vhost) with the counter saga stored by the library in PostgreSQL (a fresh database),
/// behind the transactional outbox and inbox; a plain observer queue receives what the outbox delivers.
/// </summary>
public sealed class CounterBus : IAsyncDisposable
{
    readonly TestInfrastructure? _infrastructure;
    readonly ServiceProvider _provider;
    readonly List<IHostedService> _hosted;

    CounterBus(TestInfrastructure? infrastructure, ServiceProvider provider, PlainAmqp amqp, EventLog events, string connectionString, string virtualHost)
    {
        VirtualHost = virtualHost;
        _infrastructure = infrastructure;
        ConnectionString = connectionString;
        _provider = provider;
        Amqp = amqp;
        Events = events;
        _hosted = provider.GetServices<IHostedService>().ToList();
    }

    public PlainAmqp Amqp { get; }
    public EventLog Events { get; }
    public IBus Bus => _provider.GetRequiredService<IBus>();
    public string ConnectionString { get; }
    public string VirtualHost { get; }
    public IServiceProvider Services => _provider;

    public static async Task<CounterBus> StartAsync(string purpose, Action<TransactionalOutboxOptions>? outbox = null, int concurrency = 16,
        IOutboxCommitObserver? commitObserver = null)
    {
        var infrastructure = await TestInfrastructure.CreateAsync(purpose);
        return await StartAsync(infrastructure, infrastructure.Database("counter"), outbox, concurrency, createDatabase: true, commitObserver: commitObserver);
    }

    /// <summary>A second instance of the same service: same database, same vhost and queue; its own delivery service.</summary>
    public Task<CounterBus> StartAnotherInstanceAsync(Action<TransactionalOutboxOptions>? outbox = null) =>
        StartAsync(null, ConnectionString, outbox, 16, createDatabase: false, VirtualHost);

    static async Task<CounterBus> StartAsync(TestInfrastructure? infrastructure, string connectionString, Action<TransactionalOutboxOptions>? outbox,
        int concurrency, bool createDatabase, string? virtualHost = null, IOutboxCommitObserver? commitObserver = null)
    {
        var vhost = infrastructure?.VirtualHost ?? virtualHost!;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        services.AddDbContext<CounterDbContext>(o => o.UseNpgsql(connectionString));
        if (commitObserver is not null)
            services.AddSingleton(commitObserver);
        services.AddMassTransit(x =>
        {
            x.AddSagaStateMachine<CounterStateMachine, CounterState>().PostgresRepository<CounterState, CounterDbContext>();
            x.AddTransactionalOutbox<CounterDbContext>(o =>
            {
                o.CleanupInterval = TimeSpan.FromHours(1);
                outbox?.Invoke(o);
            });
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(TestInfrastructure.RabbitHost, (ushort)TestInfrastructure.RabbitPort, vhost, h =>
                {
                    h.Username(TestInfrastructure.RabbitUser);
                    h.Password(TestInfrastructure.RabbitPassword);
                });
                cfg.ReceiveEndpoint("counter", e =>
                {
                    e.PrefetchCount = 32;
                    e.ConcurrentMessageLimit = concurrency;
                    e.UseMessageRetry(r => r.Exponential(20, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(50)));
                    e.UseTransactionalOutbox<CounterDbContext>(context);
                    e.ConfigureSaga<CounterState>(context);
                });
            });
        });
        var provider = services.BuildServiceProvider(true);
        if (createDatabase)
        {
            await using var scope = provider.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<CounterDbContext>().Database.EnsureCreatedAsync();
        }

        var amqp = await PlainAmqp.ConnectAsync(vhost);
        // MassTransit names the exchange after the message type.
        var events = await amqp.ObserveAsync("OrderFulfillment.Persistence.Tests:Incremented", "OrderFulfillment.Persistence.Tests:Reminded");
        var bus = new CounterBus(infrastructure, provider, amqp, events, connectionString, vhost);
        foreach (var hosted in bus._hosted)
            await hosted.StartAsync(CancellationToken.None);
        return bus;
    }

    public Task SendAsync<T>(T message, Guid? messageId = null)
        where T : class =>
        Bus.Publish(message, c =>
        {
            if (messageId.HasValue)
                c.MessageId = messageId;
        });

    public async Task<TResult> QueryAsync<TResult>(Func<CounterDbContext, Task<TResult>> query)
    {
        await using var scope = _provider.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CounterDbContext>());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in Enumerable.Reverse(_hosted))
            await hosted.StopAsync(CancellationToken.None);
        await Events.DisposeAsync();
        await Amqp.DisposeAsync();
        await _provider.DisposeAsync();
        if (_infrastructure is not null)
            await _infrastructure.DisposeAsync();
    }
}
