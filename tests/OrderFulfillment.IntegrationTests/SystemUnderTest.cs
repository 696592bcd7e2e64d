using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests;

/// <summary>Both services as processes on a fresh vhost and fresh databases, plus a plain AMQP client.</summary>
public sealed class SystemUnderTest : IAsyncDisposable
{
    SystemUnderTest(TestInfrastructure infrastructure, ServiceProcess orders, ServiceProcess fulfillments, PlainAmqp amqp)
    {
        Infrastructure = infrastructure;
        Orders = orders;
        Fulfillments = fulfillments;
        Amqp = amqp;
    }

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
        return new SystemUnderTest(infrastructure, orders, fulfillments, amqp);
    }

    public async ValueTask DisposeAsync()
    {
        await Amqp.DisposeAsync();
        await Orders.DisposeAsync();
        await Fulfillments.DisposeAsync();
        await Infrastructure.DisposeAsync();
    }
}
