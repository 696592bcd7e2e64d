using System.Diagnostics;
using OrderFulfillment.TestSupport;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>The broker and the database restarting mid-burst: both services reconnect by themselves and lose nothing.</summary>
[Trait("Category", "Integration")]
public sealed class InfrastructureRestartTests(ITestOutputHelper output)
{
    const int Orders = 20;
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task RabbitMQ_stopped_and_started_mid_burst_loses_nothing()
    {
        await using var system = await SystemUnderTest.StartAsync("rabbit");
        var report = await RunWithRestartAsync(system, "RB", async () =>
        {
            await ExternalCommand.RunAsync("rabbitmqctl", "stop_app");
            await Task.Delay(3000); // the fault's duration: the broker stays stopped this long
            await ExternalCommand.RunAsync("rabbitmqctl", "start_app");
            await ExternalCommand.RunAsync("rabbitmqctl", "await_startup");
            await WaitForManagementAsync();
        });
        Assert.Empty(report.Problems);
        Assert.Equal(0, report.Regressions);
        Assert.False(system.Orders.HasExited || system.Fulfillments.HasExited, "both services reconnect by themselves");
    }

    [Fact]
    public async Task PostgreSQL_restarted_mid_burst_loses_nothing()
    {
        await using var system = await SystemUnderTest.StartAsync("postgres");
        var report = await RunWithRestartAsync(system, "PG", () => ExternalCommand.RunAsync("pg_ctlcluster", "15 main restart"));
        Assert.Empty(report.Problems);
        Assert.Equal(0, report.Regressions);
        Assert.False(system.Orders.HasExited || system.Fulfillments.HasExited, "both services stay up");
    }

    async Task<BurstReport> RunWithRestartAsync(SystemUnderTest system, string prefix, Func<Task> restart)
    {
        await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
        var burst = new Burst(system, events, Orders, prefix + Guid.NewGuid().ToString("N")[..6]);
        var restarted = false;
        var stopwatch = Stopwatch.StartNew();

        await burst.PublishOrdersAsync();
        await burst.DriveUntilDeliveredAsync(Timeout, async () =>
        {
            if (!restarted && events.Events.Count > Orders * 8)
            {
                restarted = true;
                var pause = Stopwatch.StartNew();
                await restart();
                output.WriteLine($"{prefix}: restarted at {events.Events.Count} events, took {pause.Elapsed.TotalSeconds:0.0} s");
            }
        });
        await system.UntilIdleAsync(TimeSpan.FromMinutes(1)); // anything announced late shows up too

        var report = burst.Check();
        output.WriteLine($"{prefix}: {report}; finished in {stopwatch.Elapsed.TotalSeconds:0} s");
        Assert.True(restarted);
        Assert.Equal(report.FulfillmentEventsExpected, report.FulfillmentEventsSeen);
        return report;
    }

    /// <summary>The management listener comes up a moment after the broker; later tests need it.</summary>
    static async Task WaitForManagementAsync()
    {
        using var http = TestInfrastructure.ManagementClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync("api/overview")).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, "the management API did not come back");
            await Task.Delay(500); // the interval of a poll until the management API is back
        }
    }
}
