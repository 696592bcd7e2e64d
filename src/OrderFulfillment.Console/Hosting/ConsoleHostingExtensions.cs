using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OrderFulfillment.Console.FailedMessages;
using OrderFulfillment.Console.Reconciliation;
using OrderFulfillment.Operations.Connections;
using OrderFulfillment.Operations.Reconciliation;

namespace OrderFulfillment.Console.Hosting;

/// <summary>How the console is put together, one concern per method (Program.cs reads them top to bottom).</summary>
public static class ConsoleHostingExtensions
{
    public static WebApplicationBuilder AddConsoleDefaults(this WebApplicationBuilder builder, string defaultUrl)
    {
        // ASPNETCORE_URLS or --urls win; the default is the address the README gives.
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
            builder.WebHost.UseUrls(defaultUrl);
        // Room for a 10,000-character parameter, so ParameterChecks answers it with a ProblemDetails (as the services do).
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestLineSize = 16 * 1024);
        // wwwroot from the project when run from its build output (scripts/run.sh), from the publish folder otherwise.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddProblemDetails();
        builder.Services.AddHealthChecks();
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<BrokerOptions>().BindConfiguration(BrokerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }

    /// <summary>The broker, its management API and the services' status APIs, through the library ofctl uses too.</summary>
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(provider =>
        {
            var console = provider.GetRequiredService<IOptions<ConsoleOptions>>().Value;
            var broker = provider.GetRequiredService<IOptions<BrokerOptions>>().Value;
            return new ConnectionSettings
            {
                Host = broker.Host,
                Port = broker.Port,
                VirtualHost = broker.VirtualHost,
                Username = broker.Username,
                Password = broker.Password,
                ManagementPort = broker.ManagementPort,
                OrderService = console.OrderService,
                FulfillmentService = console.FulfillmentService,
                ApiKey = console.ServiceApiKey,
                ClientName = "orderfulfillment-console",
            };
        });
        builder.Services.AddSingleton(provider => new ServiceApi(provider.GetRequiredService<ConnectionSettings>()));
        builder.Services.AddSingleton(provider => new ManagementApi(provider.GetRequiredService<ConnectionSettings>()));
        builder.Services.AddSingleton<FailedMessageDesk>();
        builder.Services.AddSingleton<TraceLinks>();
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// The reconciliation sweep every <c>Reconcile__Interval</c> (<see cref="DriftWatch"/>), for the <c>/reconcile</c> page and
    /// the <c>orderfulfillment_reconcile_*</c> metrics, with the comparison and repair <c>ofctl reconcile</c> uses.
    /// </summary>
    public static WebApplicationBuilder AddReconciliation(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReconcileOptions>().BindConfiguration(ReconcileOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(provider => new Reconciler(provider.GetRequiredService<ServiceApi>()));
        builder.Services.AddSingleton<DriftWatch>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<DriftWatch>());
        return builder;
    }

    /// <summary>
    /// <c>/metrics</c> (Prometheus, no key): the services' readiness and the queues' depths and consumers
    /// (<see cref="FleetMetrics"/>), the reconciliation sweep's (<see cref="DriftWatch"/>), and the console's own HTTP metrics.
    /// </summary>
    public static WebApplicationBuilder AddFleetMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddHostedService<FleetMetrics>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("console"))
            .WithMetrics(metrics => metrics.AddMeter(FleetMetrics.MeterName).AddAspNetCoreInstrumentation().AddPrometheusExporter());
        return builder;
    }
}
