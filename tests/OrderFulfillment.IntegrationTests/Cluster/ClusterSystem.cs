using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests.Cluster;

/// <summary>Two instances of each service on the cluster (quorum queues, every node in RabbitMq__Hosts), fresh databases.</summary>
public sealed class ClusterSystem : IAsyncDisposable
{
    readonly List<ServiceProcess> _services;
    readonly string[] _databases;

    ClusterSystem(ClusterBroker broker, List<ServiceProcess> services, string[] databases, PlainAmqp amqp)
    {
        Broker = broker;
        _services = services;
        _databases = databases;
        Amqp = amqp;
    }

    public ClusterBroker Broker { get; }
    public PlainAmqp Amqp { get; }
    public IReadOnlyList<ServiceProcess> Services => _services;

    public static async Task<ClusterSystem> StartAsync(string purpose)
    {
        var broker = await ClusterBroker.StartAsync(purpose);
        var databases = broker.ServiceDatabases("c");
        var environment = broker.ServiceEnvironment(databases);

        // One instance of each first, so that the two do not race to create a database.
        var services = new List<ServiceProcess>
        {
            await ServiceProcess.StartOrderServiceAsync(environment),
            await ServiceProcess.StartFulfillmentServiceAsync(environment),
        };
        services.Add(await ServiceProcess.StartOrderServiceAsync(environment));
        services.Add(await ServiceProcess.StartFulfillmentServiceAsync(environment));
        var amqp = await PlainAmqp.ConnectAsync(broker.VirtualHost, ClusterBroker.ClientEndpoints);
        return new ClusterSystem(broker, services, databases, amqp);
    }

    public string ServiceLogs(int lines = 30) =>
        string.Join("\n", _services.Select((s, i) => $"--- service {i} (exited: {s.HasExited})\n{s.LogTail(lines)}"));

    /// <summary>Waits until nothing is in flight in the cluster vhost's queues or the services' outboxes (<see cref="SystemIdle"/>).</summary>
    public Task UntilIdleAsync(TimeSpan timeout) =>
        SystemIdle.WaitAsync(Broker.VirtualHost, _databases.Select(d => $"{TestInfrastructure.PostgresServer};Database={d}").ToList(), timeout,
            ClusterBroker.NodeName(ClusterBroker.ClientNode));

    public async ValueTask DisposeAsync()
    {
        await Amqp.DisposeAsync();
        foreach (var service in _services)
            await service.DisposeAsync();
        await Broker.DisposeAsync();

        await TestInfrastructure.DropDatabasesAsync(_databases);
    }
}
