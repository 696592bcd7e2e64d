using MassTransit;
using OrderFulfillment.FulfillmentService;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.Persistence;
using OrderFulfillment.Hosting;
using OrderFulfillment.Hosting.Data;
using OrderFulfillment.Messaging;

var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceHosting("fulfillment-service", "http://localhost:5200");
builder.AddServiceDatabase<FulfillmentDbContext>("FulfillmentDb");
builder.Services.AddOptions<WarehouseRoutingOptions>().BindConfiguration(WarehouseRoutingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddOptions<FulfillmentDeadlineOptions>().BindConfiguration(FulfillmentDeadlineOptions.Section);
builder.Services.AddOptions<StepHoldOptions>().BindConfiguration(StepHoldOptions.Section).ValidateDataAnnotations().ValidateOnStart();

builder.Services.AddMassTransit(bus =>
{
    bus.AddFulfillmentSagas();
    bus.AddFulfillmentAnnouncements();
    bus.AddServiceOutbox<FulfillmentDbContext>(builder.Configuration);
    bus.AddFaultInjection(builder.Configuration);
    bus.UsingContractRabbitMq();
});

var app = builder.Build();

app.MapServiceHosting();
app.MapFulfillmentEndpoints();
app.MapFulfillmentAnnouncementEndpoints();

await app.CheckBrokerReachableAsync(TimeSpan.FromSeconds(10));
await app.PrepareDatabaseAsync<FulfillmentDbContext>("FulfillmentDb");
await app.RunAsync();

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;
