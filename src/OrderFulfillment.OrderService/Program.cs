using MassTransit;
using OrderFulfillment.OrderService;
using OrderFulfillment.OrderService.Data;
using OrderFulfillment.OrderService.OrderStatus;
using OrderFulfillment.Persistence;
using OrderFulfillment.Hosting;
using OrderFulfillment.Hosting.Data;
using OrderFulfillment.Messaging;

var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceHosting("order-service", "http://localhost:5100");
builder.AddServiceDatabase<OrderDbContext>("OrderDb");

builder.Services.AddMassTransit(bus =>
{
    bus.AddOrderStatusSaga();
    bus.AddServiceOutbox<OrderDbContext>(builder.Configuration);
    bus.AddFaultInjection(builder.Configuration);
    bus.UsingContractRabbitMq();
});

var app = builder.Build();

app.MapServiceHosting();
app.MapOrderStatusEndpoints();

await app.CheckBrokerReachableAsync(TimeSpan.FromSeconds(10));
await app.PrepareDatabaseAsync<OrderDbContext>("OrderDb");
await app.RunAsync();

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;
