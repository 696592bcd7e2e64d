using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cli;

/// <summary>ofctl simulate drives whole lifecycles over AMQP, as checkout, a WMS and a carrier would.</summary>
[Trait("Category", "Integration")]
public sealed partial class SimulateCommandTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"Simulation run (?<run>[0-9a-f]{8})")]
    private static partial Regex RunId();

    [Fact]
    public async Task Three_simulated_orders_are_all_delivered_and_a_run_that_cannot_finish_exits_1()
    {
        await using var system = await SystemUnderTest.StartAsync("ofctl-sim");
        var ofctl = new Ofctl(output, system);

        var result = await ofctl.SucceedAsync("simulate", "--orders", "3", "--concurrency", "2", "--timeout", "50");

        var run = RunId().Match(result.Output).Groups["run"].Value;
        Assert.NotEmpty(run);
        foreach (var expected in new[] { "Orders", "Delivered", "Messages published", "Events received", "Orders/s", "Failures", "Timeouts" })
            Assert.Contains(expected, result.Output);
        // Each order: order.confirmed, then per fulfillment (two warehouses and the routed line: three) 7 steps and a delivery.
        Assert.Matches(@"│ 3\s+│ 3\s+│ 75\s+│", result.Output);

        using var http = system.Orders.Http();
        var delivered = await http.GetFromJsonAsync<JsonElement>("orders?status=delivered");
        var ids = delivered.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("orderId").GetString()).ToList();
        Assert.Equal([$"SIM-{run}-1", $"SIM-{run}-2", $"SIM-{run}-3"], ids.Order(StringComparer.Ordinal));

        // Without the order service no order is ever delivered: the run ends at its timeout with exit 1.
        await system.Orders.KillAsync();
        var late = await ofctl.RunAsync("simulate", "--orders", "2", "--timeout", "3");
        Assert.Equal(1, late.ExitCode);
        Assert.Contains("2 of 2 orders were not delivered within 3 s", late.Error);
    }
}
