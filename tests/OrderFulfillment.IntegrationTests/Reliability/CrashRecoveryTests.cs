using OrderFulfillment.TestSupport;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>
/// Rule 8 proven by killing processes: a service killed at any instant (SIGKILL, and once right after a commit and
/// before its outbox was delivered) loses no event and applies no change twice once restarted.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    const int Orders = 30;
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_fulfillment_service_killed_mid_burst_loses_nothing()
    {
        await using var system = await SystemUnderTest.StartAsync("killf", e => e["FaultInjection__KillAfterCommits"] = "40");
        var report = await RunWithKillsAsync(system, system.Fulfillments, "KF");
        Assert.Empty(report.Problems);
        Assert.Equal(0, report.Regressions);
    }

    [Fact]
    public async Task The_order_service_killed_mid_burst_loses_nothing()
    {
        await using var system = await SystemUnderTest.StartAsync("killo", e => e["FaultInjection__KillAfterCommits"] = "40");
        var report = await RunWithKillsAsync(system, system.Orders, "KO");
        Assert.Empty(report.Problems);
        Assert.Equal(0, report.Regressions);
    }

    async Task<BurstReport> RunWithKillsAsync(SystemUnderTest system, ServiceProcess victim, string prefix)
    {
        // The other service must not crash on its own fault point: only the victim keeps it.
        var bystander = victim == system.Orders ? system.Fulfillments : system.Orders;
        bystander.SetEnvironment("FaultInjection__KillAfterCommits", null);
        await bystander.RestartAsync();

        await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
        var burst = new Burst(system, events, Orders, prefix + Guid.NewGuid().ToString("N")[..6]);
        var selfKills = 0;
        var sigkills = 0;

        await burst.PublishOrdersAsync();
        await burst.DriveUntilDeliveredAsync(Timeout, async () =>
        {
            if (victim.HasExited)
            {
                // It killed itself at the fault point, right after a commit, before delivering that commit's events.
                selfKills++;
                victim.SetEnvironment("FaultInjection__KillAfterCommits", null);
                await victim.StartAsync();
            }
            else if (sigkills == 0 && selfKills > 0 && events.Events.Count > Orders * 12)
            {
                sigkills++;
                await victim.KillAsync();
                await victim.StartAsync();
            }
        });
        await system.UntilIdleAsync(TimeSpan.FromMinutes(1)); // anything announced late (a copy published again after a kill) shows up too

        var report = burst.Check();
        output.WriteLine($"{prefix}: kills {selfKills} at the after-commit fault point + {sigkills} SIGKILL mid-burst; inbound messages published {burst.Published}; {report}");
        Assert.Equal(1, selfKills);
        Assert.Equal(1, sigkills);
        Assert.Equal(report.FulfillmentEventsExpected, report.FulfillmentEventsSeen);
        return report;
    }
}
