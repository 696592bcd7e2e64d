using System.Text.Json.Serialization;
using MassTransit;
using MassTransit.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OrderFulfillment.Persistence;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.Hosting;

/// <summary>What both services share: options, health, metrics, tracing, problem details and the database registration.</summary>
public static class ServiceHosting
{
    // RabbitMQ.Client 7's activity sources: its publish span writes traceparent into the message's headers, its deliver
    // span reads it, and MassTransit's receive span starts inside the deliver span.
    const string RabbitMqClientPublisher = "RabbitMQ.Client.Publisher";
    const string RabbitMqClientSubscriber = "RabbitMQ.Client.Subscriber";

    public static WebApplicationBuilder AddServiceHosting(this WebApplicationBuilder builder, string serviceName, string defaultUrl)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // ASPNETCORE_URLS or --urls win; the default is the address the README gives.
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
            builder.WebHost.UseUrls(defaultUrl);
        // Room for a 10,000-character parameter, so ParameterGuard answers it with a ProblemDetails; Kestrel's own 414 for a
        // longer request line has no body.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestLineSize = ParameterGuard.MaxRequestLineSize);
        builder.Services.AddOptions<RabbitMqOptions>().BindConfiguration(RabbitMqOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(options =>
        {
            // The host does not start until the bus is connected, and gives up with the reason after the timeout.
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(30);
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.TryAddSingleton<OrderFulfillmentMetrics>();
        builder.Services.AddProblemDetails();
        // The status API writes numbers as numbers; without this the web defaults (numbers also read from strings) make
        // every integer in /openapi/v1.json "integer or string".
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        var keysConfigured = ApiKeyMiddleware.ConfiguredKeys(builder.Configuration).Length > 0;
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer(new ApiKeyOpenApi(keysConfigured)));
        builder.Services.TryAddSingleton<BrokerFlowControl>();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<BrokerPublishingHealthCheck>("broker-publishing", tags: ["ready"]);

        // Every name on /metrics in Prometheus' conventions (docs/operations.md lists them): MassTransit's meter and two
        // gauges of System.Runtime are exported through MassTransitMetrics and ThreadPoolGauges, not as they are.
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter(OrderFulfillmentMetrics.MeterName, PersistenceRegistration.MeterName)
                .AddInstrumentation(() => new MassTransitMetrics()).AddMeter(MassTransitMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddInstrumentation(() => new ThreadPoolGauges()).AddMeter(ThreadPoolGauges.MeterName)
                .AddView(ThreadPoolGauges.LeaveOutMiscounted)
                .AddProcessInstrumentation()
                .AddPrometheusExporter());

        // Tracing is off unless Telemetry__Exporter is otlp or console (OTLP endpoint and protocol: OTEL_EXPORTER_OTLP_ENDPOINT,
        // OTEL_EXPORTER_OTLP_PROTOCOL). One trace per order (docs/operations.md, "Traces"): MassTransit's spans follow its
        // MT-Activity-Id header from service to service; RabbitMQ.Client's own spans read and write the W3C traceparent
        // header, so a producer's traceparent becomes the parent of the first consumer's span; the outbox stores the
        // publishing span with each row and delivery continues it (PersistenceRegistration.ActivitySourceName).
        var exporter = builder.Configuration.GetValue<string>("Telemetry:Exporter") ?? "none";
        if (!exporter.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            telemetry.WithTracing(tracing =>
            {
                tracing.AddSource(DiagnosticHeaders.DefaultListenerName, PersistenceRegistration.ActivitySourceName, RabbitMqClientPublisher, RabbitMqClientSubscriber)
                    .AddAspNetCoreInstrumentation();
                if (exporter.Equals("console", StringComparison.OrdinalIgnoreCase))
                    tracing.AddConsoleExporter();
                else
                    tracing.AddOtlpExporter();
            });
        }

        return builder;
    }

    /// <summary>The service's DbContext on PostgreSQL; the connection string is required and checked at start.</summary>
    public static WebApplicationBuilder AddServiceDatabase<TDbContext>(this WebApplicationBuilder builder, string connectionStringName)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = builder.Configuration.GetConnectionString(connectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException($"The connection string ConnectionStrings__{connectionStringName} is not set.");
        var tuned = NpgsqlTuning.WithMessageProcessingDefaults(connectionString);
        // Pooled: each consumed message takes a DbContext from the pool instead of building one (state is reset on return).
        builder.Services.AddDbContextPool<TDbContext>(options => options.UseNpgsql(tuned));
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<TDbContext>("database", tags: ["ready"])
            .AddCheck<MigrationsHealthCheck<TDbContext>>("migrations", tags: ["ready"])
            .AddCheck<ConsumptionHealthCheck<TDbContext>>("consumption", tags: ["ready"]);
        return builder;
    }

    /// <summary>/health/live, /health/ready (broker connected, database reachable, migrations applied, consumption not paused), /metrics, /openapi; API keys when configured; every URL parameter checked (<see cref="ParameterGuard"/>).</summary>
    public static WebApplication MapServiceHosting(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseApiKeys();
        app.UseParameterGuard();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapOpenApi();
        return app;
    }

    /// <summary>Not ready while message consumption is paused for a database outage (<see cref="DatabaseAvailability{TDbContext}"/>).</summary>
    sealed class ConsumptionHealthCheck<TDbContext>(DatabaseAvailability<TDbContext> database) : IHealthCheck
        where TDbContext : DbContext
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(database.PausedSince is { } since
                ? HealthCheckResult.Unhealthy($"message consumption paused since {since:O}: {database.PauseReason}")
                : HealthCheckResult.Healthy("consuming"));
    }

    /// <summary>
    /// Degraded (still 200: the service consumes and answers) while RabbitMQ blocks its publishing for a resource alarm
    /// (<see cref="BrokerFlowControl"/>): events wait in the outbox.
    /// </summary>
    sealed class BrokerPublishingHealthCheck(BrokerFlowControl flowControl) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(flowControl.BlockedSince is { } since
                ? HealthCheckResult.Degraded($"RabbitMQ has blocked publishing since {since:O} ({flowControl.BlockedReason}): events wait in the outbox")
                : HealthCheckResult.Healthy("publishing"));
    }

    sealed class MigrationsHealthCheck<TDbContext>(TDbContext dbContext) : IHealthCheck
        where TDbContext : DbContext
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var pending = (await dbContext.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            return pending.Count == 0
                ? HealthCheckResult.Healthy("all migrations applied")
                : HealthCheckResult.Unhealthy($"pending migrations: {string.Join(", ", pending)}");
        }
    }
}
