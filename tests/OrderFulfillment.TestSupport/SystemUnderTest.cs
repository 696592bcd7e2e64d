namespace OrderFulfillment.TestSupport;

/// <summary>Both services as processes on a fresh vhost and fresh databases, plus a plain AMQP client.</summary>
public sealed class SystemUnderTest : IAsyncDisposable
{
    readonly List<ServiceProcess> _extra = [];

    SystemUnderTest(TestInfrastructure infrastructure, Dictionary<string, string> environment, ServiceProcess orders, ServiceProcess fulfillments,
        PlainAmqp amqp)
    {
        Infrastructure = infrastructure;
        Environment = environment;
        Orders = orders;
        Fulfillments = fulfillments;
        Amqp = amqp;
    }

    public Dictionary<string, string> Environment { get; }

    public TestInfrastructure Infrastructure { get; }
    public ServiceProcess Orders { get; }
    public ServiceProcess Fulfillments { get; }
    public PlainAmqp Amqp { get; }

    public static async Task<SystemUnderTest> StartAsync(string purpose, Action<Dictionary<string, string>>? configure = null)
    {
        var infrastructure = await TestInfrastructure.CreateAsync(purpose);
        var environment = infrastructure.BrokerEnvironment();
        environment["ConnectionStrings__OrderDb"] = infrastructure.Database("orders");
        environment["ConnectionStrings__FulfillmentDb"] = infrastructure.Database("fulfillments");
        environment["WarehouseRouting__DefaultWarehouse"] = "WH-CENTRAL";
        configure?.Invoke(environment);
        var orders = await ServiceProcess.StartOrderServiceAsync(environment);
        var fulfillments = await ServiceProcess.StartFulfillmentServiceAsync(environment);
        var amqp = await PlainAmqp.ConnectAsync(infrastructure.VirtualHost);
        return new SystemUnderTest(infrastructure, environment, orders, fulfillments, amqp);
    }

    /// <summary>Starts one more instance of each service on the same queues and databases (competing consumers).</summary>
    public async Task<(ServiceProcess Orders, ServiceProcess Fulfillments)> StartSecondInstancesAsync()
    {
        var orders = await ServiceProcess.StartOrderServiceAsync(Environment);
        _extra.Add(orders);
        var fulfillments = await ServiceProcess.StartFulfillmentServiceAsync(Environment);
        _extra.Add(fulfillments);
        return (orders, fulfillments);
    }

    /// <summary>
    /// Waits until nothing is in flight in the vhost's queues or either service's outbox (<see cref="SystemIdle"/>): the end of
    /// a quiet period, after which anything late has been announced.
    /// </summary>
    public Task UntilIdleAsync(TimeSpan timeout) => SystemIdle.WaitAsync(Infrastructure.VirtualHost, Databases, timeout);

    /// <summary>Waits until a service has consumed the message published with <paramref name="messageId"/> (<see cref="SystemIdle.UntilConsumedAsync"/>).</summary>
    public Task UntilConsumedAsync(string messageId, TimeSpan timeout) => SystemIdle.UntilConsumedAsync(Databases, messageId, timeout);

    /// <summary>Waits until a service has dead-lettered the message published with <paramref name="messageId"/>: its alert is in the service's log.</summary>
    public Task UntilDeadLetteredAsync(string messageId, TimeSpan timeout) =>
        AmqpMessages.UntilAsync(() => Orders.Log.Concat(Fulfillments.Log).Any(l => l.Contains("Dead-lettered to", StringComparison.Ordinal)
                                                                               && l.Contains($" {messageId} ", StringComparison.Ordinal)),
            timeout, $"the dead-letter alert of {messageId}");

    string[] Databases => [Environment["ConnectionStrings__OrderDb"], Environment["ConnectionStrings__FulfillmentDb"]];

    public async ValueTask DisposeAsync()
    {
        await Amqp.DisposeAsync();
        foreach (var extra in _extra)
            await extra.DisposeAsync();
        await Orders.DisposeAsync();
        await Fulfillments.DisposeAsync();
        await Infrastructure.DisposeAsync();
    }
}
