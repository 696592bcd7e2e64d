using System.Globalization;
using System.Text.RegularExpressions;

namespace OrderFulfillment.IntegrationTests.Monitoring;

/// <summary>
/// Both services and the console as processes on a fresh vhost and databases, and a real Prometheus scraping the three
/// with the rules of <c>monitoring/</c>. One per test class. Deadlines in <c>packed</c> are 2 s, so a fulfillment left
/// there becomes overdue.
/// </summary>
public sealed partial class MonitoringSystem : IAsyncLifetime
{
    public SystemUnderTest System { get; private set; } = null!;
    public ServiceProcess Console { get; private set; } = null!;
    public PrometheusServer Prometheus { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        System = await SystemUnderTest.StartAsync("monitoring", environment => environment["FulfillmentDeadlines__packed"] = "00:00:02");
        var environment = System.Infrastructure.BrokerEnvironment();
        environment["RabbitMq__ManagementPort"] = TestInfrastructure.ManagementPort.ToString(CultureInfo.InvariantCulture);
        environment["Console__ApiKey"] = "monitoring-test-operator-key";
        environment["Console__OrderService"] = System.Orders.BaseAddress.ToString();
        environment["Console__FulfillmentService"] = System.Fulfillments.BaseAddress.ToString();
        Console = await ServiceProcess.StartAsync("OrderFulfillment.Console", environment);
        Prometheus = await PrometheusServer.StartAsync(new Dictionary<string, Uri>
        {
            ["order-service:8080"] = System.Orders.BaseAddress,
            ["fulfillment-service:8080"] = System.Fulfillments.BaseAddress,
            ["console:8080"] = Console.BaseAddress,
        });
    }

    /// <summary>Every metric name the three processes serve on /metrics now (histograms with their _bucket, _sum, _count).</summary>
    public async Task<HashSet<string>> ExportedMetricNamesAsync()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var process in new[] { System.Orders, System.Fulfillments, Console })
        {
            using var http = process.Http();
            var text = await http.GetStringAsync("metrics");
            foreach (Match sample in SampleName().Matches(text))
                names.Add(sample.Groups[1].Value);
        }

        return names;
    }

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", RegexOptions.Multiline)]
    private static partial Regex SampleName();

    public async Task DisposeAsync()
    {
        if (Prometheus is not null)
            await Prometheus.DisposeAsync();
        if (Console is not null)
            await Console.DisposeAsync();
        if (System is not null)
            await System.DisposeAsync();
    }
}
